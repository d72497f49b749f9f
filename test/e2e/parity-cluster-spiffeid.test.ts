/**
 * cluster-spiffeid mode's acceptance test: parity with spire-controller-manager v0.6.6 on one living cluster
 * (startCluster: kube-controller-manager, kube-scheduler, kwok nodes; SCM's CRDs installed before the
 * controllers start). SCM runs out of cluster with its own fresh spire-server; the project's k8s-events and
 * resync run in-process, fed by the watch bridge, with another fresh spire-server; same trust domain, cluster
 * name and class settings, and both with the cluster domain given (out of a cluster both lookups fail). Both
 * see the same objects, so pod and node UIDs in selectors and parent IDs are the same.
 *
 * A table of sets of custom resources and workloads, applied one after the other, each in namespaces of its
 * own and cleaned up after it (its resources deleted, its namespaces deleted, both servers empty again). After
 * each step of a set both must converge from the events alone: SCM's server holds the entries SCM's rules
 * call for (stated in the table), the project's server the same entries (every field but the entry ID: SPIFFE
 * ID, parent, sorted selectors and DNS names, TTLs, hint, admin, downstream, sorted federatesWith,
 * store_svid), the same federation relationships, and every ClusterSPIFFEID's `status.stats` (and
 * ClusterStaticEntry's `status`), which both write to the same objects, is what SCM computes. Then the stored
 * statuses must stay put over several of SCM's passes (neither side rewrites what the other wrote), and a
 * resync of the project must find nothing to write. Where the project differs on purpose
 * (docs/cluster-spiffeid-core.md "Deliberate differences"), the set names the item and states the difference.
 *
 * Two sets need the SPIRE client of branch scm-spire (merged into main with 6e18205), which writes store_svid
 * (a ClusterStaticEntry's `storeSVID`) and federation relationships (ClusterFederatedTrustDomains); without it
 * they fail.
 *
 * SCM runs with `gcInterval` 2 s instead of 10 s, so that a few seconds cover several of its passes.
 */
import { PatchStrategy, setHeaderOptions, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ClusterSpiffeIdStats, ZERO_STATS } from "../../lib/scm/index.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type Scm, scmCrdFiles, startSpireControllerManager } from "./harness/scm.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import {
  type ClusterSpiffeIdFunctions,
  startClusterSpiffeIdFunctions,
} from "./support/cluster-spiffeid-functions.js";
import { eventually } from "./support/eventually.js";
import {
  diffScmEntries,
  readRelationships,
  readScmEntries,
  type ScmEntry,
  type ScmObject,
  type ScmResources,
  scmResources,
  setFederatedBundle,
  spiffeBundleJson,
} from "./support/scm-parity.js";
import { type Workloads, workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "parity";
const CLASS = "parity";
const GC_INTERVAL_MS = 2_000;
const CONVERGE_MS = 90_000;
/** Longer than two of SCM's passes: a status one side does not agree with is rewritten within it. */
const STABLE_MS = 2 * GC_INTERVAL_MS + 1_500;
const SET_TIMEOUT_MS = 400_000;
/** Bundles set on both servers before the sets run, so entries can federate with these trust domains. */
const FEDERATED = ["federated.example", "partner.example"];
/** The namespaces of the cluster before any set; a ClusterSPIFFEID without namespaceSelector sees them. */
const SYSTEM_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"];
/** Of those, the ones SCM's default `ignoreNamespaces` ignores. */
const IGNORED_SYSTEM_NAMESPACES = 2;
/** A finalizer nothing removes but the test: pods and ClusterSPIFFEIDs stay while it holds them. */
const HOLD = "example.com/hold";
/** A node label sets write (and remove again): a template reads it, a pod waits for it. */
const ZONE_LABEL = "example.com/zone";
const PEERS = [...CLUSTER_PEERS, "spire-server", "spire-controller-manager"] as const;
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** `status.stats` of a ClusterSPIFFEID. */
type Stats = ClusterSpiffeIdStats;

/** Stats that are zero but for `given`. */
const stats = (given: Partial<Stats>): Stats => ({ ...ZERO_STATS, ...given });

/** `status` of a ClusterStaticEntry. */
interface StaticStatus {
  rendered: boolean;
  masked: boolean;
  set: boolean;
}

/** What the test needs while a set runs. */
interface Env {
  readonly w: Workloads;
  readonly crs: ScmResources;
  readonly caPath: string;
  /** Pods the set ran, as served when they ran, by `namespace/name`. */
  readonly pods: Map<string, V1Pod>;
  run(namespace: string, name: string, pod?: Parameters<Workloads["runPod"]>[2]): Promise<V1Pod>;
  pod(namespace: string, name: string): V1Pod;
  /** `spiffe://example.org/spire/agent/k8s_psat/parity/<node UID>`, the default parent ID of a pod's entry. */
  agentOf(namespace: string, name: string): Promise<string>;
  /** Sets (or, with null, removes) a label of a node; the set's clean-up removes every label set this way. */
  labelNode(node: string, key: string, value: string | null): Promise<void>;
  /** Sets (or, with null, removes) a label of a namespace. */
  labelNamespace(namespace: string, key: string, value: string | null): Promise<void>;
  /** `node\nkey` of every label `labelNode` wrote. */
  readonly nodeLabels: Set<string>;
}

/** The state both sides must reach after a step. */
interface Expected {
  /** SCM's entries' SPIFFE IDs (paths without `spiffe://example.org/`), sorted. */
  ids: string[];
  /** Each ClusterSPIFFEID's stored `status.stats`, by name (`undefined`: none is ever written). */
  stats: Record<string, Stats | undefined>;
  /** Each ClusterStaticEntry's stored `status`, by name (`undefined`: none is ever written). */
  statics?: Record<string, StaticStatus | undefined>;
  /** SCM's federation relationships' trust domains, sorted. */
  relationships?: string[];
  /** More about SCM's entries (DNS names, TTLs, ...). */
  check?(entries: ScmEntry[]): void;
  /**
   * A ClusterSPIFFEID whose stats the project computes otherwise, by a deliberate difference: both write
   * theirs to the same object, so what is stored is SCM's (`stats`) or the project's, whichever wrote last.
   */
  contested?: { name: string; project: Stats };
}

interface Step {
  what: string;
  act(env: Env): Promise<void>;
  expect(env: Env): Expected | Promise<Expected>;
}

interface ParitySet {
  title: string;
  /** Created before the first step, deleted after the last (with everything in them). */
  namespaces: Record<string, Record<string, string>>;
  steps: Step[];
}

const SA_TEMPLATE =
  "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
/** A template naming the pod under `prefix`. */
const byPod = (prefix: string) => `spiffe://{{ .TrustDomain }}/${prefix}/{{ .PodMeta.Name }}`;
/** A namespaceSelector for one namespace (the label the API server gives every namespace). */
const only = (namespace: string) => ({ matchLabels: { "kubernetes.io/metadata.name": namespace } });
const entryOf = (entries: ScmEntry[], path: string) => {
  const found = entries.filter((entry) => entry.spiffeId === `spiffe://${TD}/${path}`);
  expect(found, `one entry ${path}`).toHaveLength(1);
  return found[0] as ScmEntry;
};
const serviceNames = (service: string, namespace: string) => [
  service,
  `${service}.${namespace}`,
  `${service}.${namespace}.svc`,
  `${service}.${namespace}.svc.cluster.local`,
];
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Creation timestamps have a resolution of one second: a resource created after this is younger. */
const nextSecond = () => sleep(1_100);

const SETS: ParitySet[] = [
  {
    title:
      "default template (service account), no selectors: every namespace, a finished and an unscheduled pod",
    namespaces: { "pcs-default": {} },
    steps: [
      {
        what: "the ClusterSPIFFEID first, then the pods",
        async act(env) {
          await env.crs.create("clusterspiffeids", "default-template", { spiffeIDTemplate: SA_TEMPLATE });
          for (const account of ["web", "api"]) await env.w.createServiceAccount("pcs-default", account);
          await env.run("pcs-default", "web-0", { serviceAccount: "web" });
          await env.run("pcs-default", "web-1", { serviceAccount: "web" });
          await env.run("pcs-default", "api-0", { serviceAccount: "api" });
          // SCM does not filter pods by phase: a Job's finished pod keeps an entry
          const [done] = await env.w.runJob("pcs-default", "done", 1, { labels: { job: "done" } });
          expect(done?.status?.phase).toBe("Succeeded");
          // no node (it waits for a node labelled zone "late"): "node not found", a render failure
          await env.w.core.createNamespacedPod({
            namespace: "pcs-default",
            body: {
              metadata: { name: "late-0" },
              spec: {
                serviceAccountName: "web",
                nodeSelector: { [ZONE_LABEL]: "late" },
                containers: [{ name: "app", image: "registry.invalid/app:1" }],
              },
            },
          });
        },
        expect: () => ({
          ids: [
            "ns/pcs-default/sa/api",
            "ns/pcs-default/sa/default",
            "ns/pcs-default/sa/web",
            "ns/pcs-default/sa/web",
          ],
          stats: {
            "default-template": stats({
              namespacesSelected: SYSTEM_NAMESPACES.length + 1,
              namespacesIgnored: IGNORED_SYSTEM_NAMESPACES,
              podsSelected: 5,
              podEntryRenderFailures: 1,
              entriesToSet: 4,
            }),
          },
          check(entries) {
            for (const entry of entries) {
              expect(entry.parentId).toMatch(new RegExp(`^spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/`));
              expect(entry.selectors).toHaveLength(1);
              expect(entry.selectors[0]).toMatch(/^k8s:pod-uid:/);
            }
          },
        }),
      },
      {
        what: "a node labelled for the waiting pod: the scheduler binds it",
        async act(env) {
          await env.labelNode("kwok-node-2", ZONE_LABEL, "late");
        },
        expect: () => ({
          ids: [
            "ns/pcs-default/sa/api",
            "ns/pcs-default/sa/default",
            "ns/pcs-default/sa/web",
            "ns/pcs-default/sa/web",
            "ns/pcs-default/sa/web",
          ],
          stats: {
            "default-template": stats({
              namespacesSelected: SYSTEM_NAMESPACES.length + 1,
              namespacesIgnored: IGNORED_SYSTEM_NAMESPACES,
              podsSelected: 5,
              entriesToSet: 5,
            }),
          },
        }),
      },
    ],
  },
  {
    title: "label and annotation templates with index (keys with / and .), missing values failing to render",
    namespaces: { "pcs-ids": {} },
    steps: [
      {
        what: "the pods first, then the ClusterSPIFFEIDs",
        async act(env) {
          await env.run("pcs-ids", "lab-0", { labels: { app: "billing", "spiffe.io/team": "payments" } });
          await env.run("pcs-ids", "ann-0", { annotations: { "spiffe.io/spiffe-id": "team-a/worker" } });
          await env.run("pcs-ids", "plain-0");
          await env.crs.create("clusterspiffeids", "by-label", {
            spiffeIDTemplate:
              'spiffe://{{ .TrustDomain }}/app/{{ index .PodMeta.Labels "app" }}/team/{{ index .PodMeta.Labels "spiffe.io/team" }}',
            namespaceSelector: only("pcs-ids"),
            podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
          });
          // lab-0 and plain-0 have no such annotation: `spiffe://example.org/` is no SPIFFE ID
          await env.crs.create("clusterspiffeids", "by-annotation", {
            spiffeIDTemplate:
              'spiffe://{{ .TrustDomain }}/{{ index .PodMeta.Annotations "spiffe.io/spiffe-id" }}',
            namespaceSelector: only("pcs-ids"),
          });
          // field syntax on a missing key prints `<no value>`: no SPIFFE ID either
          await env.crs.create("clusterspiffeids", "field-syntax", {
            spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/run/{{ .PodMeta.Labels.run }}",
            namespaceSelector: only("pcs-ids"),
          });
        },
        expect: () => ({
          ids: ["app/billing/team/payments", "run/ann-0", "run/plain-0", "team-a/worker"],
          stats: {
            "by-label": stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            "by-annotation": stats({
              namespacesSelected: 1,
              podsSelected: 3,
              podEntryRenderFailures: 2,
              entriesToSet: 1,
            }),
            "field-syntax": stats({
              namespacesSelected: 1,
              podsSelected: 3,
              podEntryRenderFailures: 1,
              entriesToSet: 2,
            }),
          },
        }),
      },
    ],
  },
  {
    title:
      "namespaceSelector and podSelector with matchExpressions (In, NotIn, Exists, DoesNotExist), an ignored namespace",
    namespaces: {
      "pcs-sel-prod": { env: "prod" },
      "pcs-sel-stage": { env: "staging" },
      "pcs-sel-dev": { env: "dev" },
      "pcs-sel-none": {},
    },
    steps: [
      {
        what: "pods in four namespaces, then two ClusterSPIFFEIDs",
        async act(env) {
          await env.run("pcs-sel-prod", "web-0", { labels: { app: "web", tier: "front" } });
          await env.run("pcs-sel-prod", "db-0", { labels: { app: "db", tier: "db" } });
          await env.run("pcs-sel-stage", "web-0", { labels: { app: "web", tier: "front" } });
          await env.run("pcs-sel-stage", "job-0", { labels: { tier: "batch" } });
          await env.run("pcs-sel-dev", "web-0", { labels: { app: "web", tier: "front" } });
          await env.run("pcs-sel-none", "job-0", { labels: { tier: "batch" } });
          await env.run("pcs-sel-none", "web-0", { labels: { app: "web", tier: "front" } });
          await env.crs.create("clusterspiffeids", "env-selected", {
            spiffeIDTemplate:
              'spiffe://{{ .TrustDomain }}/{{ index .PodMeta.Labels "app" }}/{{ .PodMeta.Namespace }}',
            namespaceSelector: {
              matchExpressions: [{ key: "env", operator: "In", values: ["prod", "staging"] }],
            },
            podSelector: {
              matchExpressions: [
                { key: "tier", operator: "NotIn", values: ["db"] },
                { key: "app", operator: "Exists" },
              ],
            },
          });
          // kube-system is selected, and ignored
          await env.crs.create("clusterspiffeids", "no-env", {
            spiffeIDTemplate: byPod("batch"),
            namespaceSelector: {
              matchExpressions: [
                { key: "env", operator: "DoesNotExist" },
                {
                  key: "kubernetes.io/metadata.name",
                  operator: "In",
                  values: ["pcs-sel-none", "kube-system"],
                },
              ],
            },
            podSelector: { matchLabels: { tier: "batch" } },
          });
        },
        expect: () => ({
          ids: ["batch/job-0", "web/pcs-sel-prod", "web/pcs-sel-stage"],
          stats: {
            "env-selected": stats({ namespacesSelected: 2, podsSelected: 2, entriesToSet: 2 }),
            "no-env": stats({
              namespacesSelected: 2,
              namespacesIgnored: 1,
              podsSelected: 1,
              entriesToSet: 1,
            }),
          },
        }),
      },
    ],
  },
  {
    title: "workloadSelectorTemplates (split at the first colon), one that renders no type:value",
    namespaces: { "pcs-wst": {} },
    steps: [
      {
        what: "two pods, then the ClusterSPIFFEIDs",
        async act(env) {
          await env.w.createServiceAccount("pcs-wst", "web");
          await env.run("pcs-wst", "web-0", { serviceAccount: "web", labels: { app: "web" } });
          await env.run("pcs-wst", "web-1", { serviceAccount: "web", labels: { app: "web", bad: "yes" } });
          await env.crs.create("clusterspiffeids", "selectors", {
            spiffeIDTemplate: byPod("wst"),
            namespaceSelector: only("pcs-wst"),
            workloadSelectorTemplates: [
              "k8s:ns:{{ .PodMeta.Namespace }}",
              "k8s:sa:{{ .PodSpec.ServiceAccountName }}",
              "k8s:container-image:{{ (index .PodSpec.Containers 0).Image }}",
              "k8s:node-name:{{ .PodSpec.NodeName }}",
              "unix:uid:{{ len .PodSpec.Containers }}",
            ],
          });
          await env.crs.create("clusterspiffeids", "no-colon", {
            spiffeIDTemplate: byPod("no-colon"),
            namespaceSelector: only("pcs-wst"),
            podSelector: { matchLabels: { bad: "yes" } },
            workloadSelectorTemplates: ["{{ .PodMeta.Name }}"],
          });
        },
        async expect(env) {
          const web0 = env.pod("pcs-wst", "web-0");
          return {
            ids: ["wst/web-0", "wst/web-1"],
            stats: {
              selectors: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
              "no-colon": stats({ namespacesSelected: 1, podsSelected: 1, podEntryRenderFailures: 1 }),
            },
            check(entries) {
              expect(entryOf(entries, "wst/web-0").selectors).toEqual(
                [
                  `k8s:pod-uid:${web0.metadata?.uid}`,
                  "k8s:ns:pcs-wst",
                  "k8s:sa:web",
                  "k8s:container-image:registry.invalid/app:1",
                  `k8s:node-name:${web0.spec?.nodeName}`,
                  "unix:uid:1",
                ].sort(),
              );
            },
          };
        },
      },
    ],
  },
  {
    title: "dnsNameTemplates (cluster domain, node, duplicates kept once)",
    namespaces: { "pcs-dns": {} },
    steps: [
      {
        what: "the ClusterSPIFFEID, then two pods",
        async act(env) {
          await env.crs.create("clusterspiffeids", "dns", {
            spiffeIDTemplate: byPod("dns"),
            namespaceSelector: only("pcs-dns"),
            dnsNameTemplates: [
              "{{ .PodMeta.Name }}.{{ .PodMeta.Namespace }}.svc.{{ .ClusterDomain }}",
              "{{ .PodMeta.Name }}",
              "{{ .PodMeta.Name }}",
              "{{ .NodeMeta.Name }}.nodes.example",
              "{{ .ClusterName }}.{{ .TrustDomain }}",
            ],
          });
          await env.run("pcs-dns", "web-0");
          await env.run("pcs-dns", "web-1");
        },
        async expect(env) {
          const web0 = env.pod("pcs-dns", "web-0");
          return {
            ids: ["dns/web-0", "dns/web-1"],
            stats: { dns: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }) },
            check(entries) {
              expect(entryOf(entries, "dns/web-0").dnsNames).toEqual(
                [
                  "web-0.pcs-dns.svc.cluster.local",
                  "web-0",
                  `${web0.spec?.nodeName}.nodes.example`,
                  `${CLUSTER}.${TD}`,
                ].sort(),
              );
            },
          };
        },
      },
    ],
  },
  {
    title:
      "autoPopulateDNSNames: Services' endpoints (ready and not ready) written by the cluster's controllers",
    namespaces: { "pcs-svc": {} },
    steps: [
      {
        what: "pods behind three Services, then the ClusterSPIFFEID",
        async act(env) {
          await env.run("pcs-svc", "web-0", { labels: { app: "web", tier: "back" } });
          await env.run("pcs-svc", "web-1", { labels: { app: "web", tier: "back" } });
          await env.w.runUnreadyPod("pcs-svc", "api-0", { labels: { app: "api", tier: "back" } });
          await env.run("pcs-svc", "lone-0", { labels: { app: "lone" } });
          await env.w.createService("pcs-svc", "websvc", { app: "web" });
          await env.w.createService("pcs-svc", "backsvc", { tier: "back" });
          await env.w.createService("pcs-svc", "apisvc", { app: "api" });
          await env.w.serviceTargets("pcs-svc", "websvc", ["web-0", "web-1"]);
          await env.w.serviceTargets("pcs-svc", "backsvc", ["web-0", "web-1"], ["api-0"]);
          await env.w.serviceTargets("pcs-svc", "apisvc", [], ["api-0"]);
          await env.crs.create("clusterspiffeids", "services", {
            spiffeIDTemplate: byPod("svc"),
            namespaceSelector: only("pcs-svc"),
            dnsNameTemplates: ["{{ .PodMeta.Name }}"],
            autoPopulateDNSNames: true,
          });
        },
        expect: () => ({
          ids: ["svc/api-0", "svc/lone-0", "svc/web-0", "svc/web-1"],
          stats: { services: stats({ namespacesSelected: 1, podsSelected: 4, entriesToSet: 4 }) },
          check(entries) {
            expect(entryOf(entries, "svc/web-0").dnsNames).toEqual(
              ["web-0", ...serviceNames("websvc", "pcs-svc"), ...serviceNames("backsvc", "pcs-svc")].sort(),
            );
            expect(entryOf(entries, "svc/api-0").dnsNames).toEqual(
              ["api-0", ...serviceNames("apisvc", "pcs-svc"), ...serviceNames("backsvc", "pcs-svc")].sort(),
            );
            expect(entryOf(entries, "svc/lone-0").dnsNames).toEqual(["lone-0"]);
          },
        }),
      },
      {
        what: "a Service deleted: its names go",
        async act(env) {
          await env.w.core.deleteNamespacedService({ namespace: "pcs-svc", name: "websvc" });
        },
        expect: () => ({
          ids: ["svc/api-0", "svc/lone-0", "svc/web-0", "svc/web-1"],
          stats: { services: stats({ namespacesSelected: 1, podsSelected: 4, entriesToSet: 4 }) },
          check(entries) {
            expect(entryOf(entries, "svc/web-1").dnsNames).toEqual(
              ["web-1", ...serviceNames("backsvc", "pcs-svc")].sort(),
            );
          },
        }),
      },
    ],
  },
  {
    title: "federatesWith (names and spiffe:// URIs; bundles set on both servers), and one without a bundle",
    namespaces: { "pcs-fed": {} },
    steps: [
      {
        what: "two pods, then two ClusterSPIFFEIDs",
        async act(env) {
          await env.run("pcs-fed", "web-0", { labels: { app: "web" } });
          await env.run("pcs-fed", "orphan-0", { labels: { app: "orphan" } });
          await env.crs.create("clusterspiffeids", "federated", {
            spiffeIDTemplate: byPod("fed"),
            namespaceSelector: only("pcs-fed"),
            podSelector: { matchLabels: { app: "web" } },
            federatesWith: ["spiffe://partner.example", "federated.example"],
          });
          // SPIRE refuses an entry federating with a trust domain it has no bundle of: an entry failure
          await env.crs.create("clusterspiffeids", "no-bundle", {
            spiffeIDTemplate: byPod("fed"),
            namespaceSelector: only("pcs-fed"),
            podSelector: { matchLabels: { app: "orphan" } },
            federatesWith: ["nobundle.example"],
          });
        },
        expect: () => ({
          ids: ["fed/web-0"],
          stats: {
            federated: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            "no-bundle": stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1, entryFailures: 1 }),
          },
          check(entries) {
            expect(entryOf(entries, "fed/web-0").federatesWith).toEqual(FEDERATED);
          },
        }),
      },
    ],
  },
  {
    title: "ttl, jwtTtl, hint, admin, downstream; then changed",
    namespaces: { "pcs-flags": {} },
    steps: [
      {
        what: "two pods, then two ClusterSPIFFEIDs",
        async act(env) {
          await env.run("pcs-flags", "admin-0", { labels: { role: "admin" } });
          await env.run("pcs-flags", "ds-0", { labels: { role: "downstream" } });
          await env.crs.create("clusterspiffeids", "admin", {
            spiffeIDTemplate: byPod("flags"),
            namespaceSelector: only("pcs-flags"),
            podSelector: { matchLabels: { role: "admin" } },
            ttl: "1h30m",
            jwtTtl: "5m",
            hint: "admin-hint",
            admin: true,
          });
          await env.crs.create("clusterspiffeids", "downstream", {
            spiffeIDTemplate: byPod("flags"),
            namespaceSelector: only("pcs-flags"),
            podSelector: { matchLabels: { role: "downstream" } },
            ttl: "90s",
            jwtTtl: "45s",
            downstream: true,
          });
        },
        expect: () => ({
          ids: ["flags/admin-0", "flags/ds-0"],
          stats: {
            admin: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            downstream: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
          },
          check(entries) {
            expect(entryOf(entries, "flags/admin-0")).toMatchObject({
              x509SvidTtl: 5400,
              jwtSvidTtl: 300,
              hint: "admin-hint",
              admin: true,
              downstream: false,
            });
            expect(entryOf(entries, "flags/ds-0")).toMatchObject({
              x509SvidTtl: 90,
              jwtSvidTtl: 45,
              hint: "",
              admin: false,
              downstream: true,
            });
          },
        }),
      },
      {
        what: "the first ClusterSPIFFEID's fields changed: the entry is updated",
        async act(env) {
          await env.crs.updateSpec("clusterspiffeids", "admin", {
            spiffeIDTemplate: byPod("flags"),
            namespaceSelector: only("pcs-flags"),
            podSelector: { matchLabels: { role: "admin" } },
            ttl: "2h",
            hint: "changed",
            downstream: true,
          });
        },
        expect: () => ({
          ids: ["flags/admin-0", "flags/ds-0"],
          stats: {
            admin: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            downstream: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
          },
          check(entries) {
            expect(entryOf(entries, "flags/admin-0")).toMatchObject({
              x509SvidTtl: 7200,
              jwtSvidTtl: 0,
              hint: "changed",
              admin: false,
              downstream: true,
            });
          },
        }),
      },
    ],
  },
  {
    title: "masking: two ClusterSPIFFEIDs and a ClusterStaticEntry declaring one entry (oldest wins)",
    namespaces: { "pcs-mask": {} },
    steps: [
      {
        what: "two pods, then the declarers one second apart",
        async act(env) {
          await env.run("pcs-mask", "web-0", { labels: { app: "web" } });
          await env.run("pcs-mask", "web-1", { labels: { app: "web" } });
          await env.crs.create("clusterspiffeids", "older", {
            spiffeIDTemplate: byPod("mask"),
            namespaceSelector: only("pcs-mask"),
            hint: "older",
            ttl: "1h",
          });
          await nextSecond();
          await env.crs.create("clusterspiffeids", "newer", {
            spiffeIDTemplate: byPod("mask"),
            namespaceSelector: only("pcs-mask"),
            podSelector: { matchLabels: { app: "web" } },
            hint: "newer",
            ttl: "2h",
          });
          // another SPIFFE ID: another key, masks nothing
          await env.crs.create("clusterspiffeids", "other-id", {
            spiffeIDTemplate: byPod("other"),
            namespaceSelector: only("pcs-mask"),
            podSelector: { matchExpressions: [{ key: "run", operator: "DoesNotExist" }] },
            hint: "other",
          });
          await nextSecond();
          await env.crs.create("clusterstaticentries", "mask-static", {
            spiffeID: `spiffe://${TD}/mask/web-0`,
            parentID: await env.agentOf("pcs-mask", "web-0"),
            selectors: [`k8s:pod-uid:${env.pod("pcs-mask", "web-0").metadata?.uid}`],
            hint: "static",
          });
        },
        expect: () => ({
          ids: ["mask/web-0", "mask/web-1", "other/web-0", "other/web-1"],
          stats: {
            older: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
            newer: stats({ namespacesSelected: 1, podsSelected: 2, entriesMasked: 2 }),
            "other-id": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
          },
          statics: { "mask-static": { rendered: true, masked: true, set: false } },
          check(entries) {
            expect(entryOf(entries, "mask/web-0")).toMatchObject({ hint: "older", x509SvidTtl: 3600 });
            expect(entryOf(entries, "mask/web-1")).toMatchObject({ hint: "older", x509SvidTtl: 3600 });
          },
        }),
      },
      {
        what: "the oldest deleted: the next oldest's fields win",
        async act(env) {
          await env.crs.delete("clusterspiffeids", "older");
        },
        expect: () => ({
          ids: ["mask/web-0", "mask/web-1", "other/web-0", "other/web-1"],
          stats: {
            newer: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
            "other-id": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
          },
          statics: { "mask-static": { rendered: true, masked: true, set: false } },
          check(entries) {
            expect(entryOf(entries, "mask/web-0")).toMatchObject({ hint: "newer", x509SvidTtl: 7200 });
          },
        }),
      },
      {
        what: "the last ClusterSPIFFEID of that key deleted: the static entry's fields win for web-0",
        async act(env) {
          await env.crs.delete("clusterspiffeids", "newer");
        },
        expect: () => ({
          ids: ["mask/web-0", "other/web-0", "other/web-1"],
          stats: {
            "other-id": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
          },
          statics: { "mask-static": { rendered: true, masked: false, set: false } },
          check(entries) {
            expect(entryOf(entries, "mask/web-0")).toMatchObject({ hint: "static", x509SvidTtl: 0 });
          },
        }),
      },
    ],
  },
  {
    title:
      "fallback: only for pods no other ClusterSPIFFEID gave an entry (a failed render gives none); several fallbacks all apply",
    namespaces: { "pcs-fb": {} },
    steps: [
      {
        what: "two pods, then a specific and two fallback ClusterSPIFFEIDs",
        async act(env) {
          await env.run("pcs-fb", "web-0", { labels: { app: "web" } });
          await env.run("pcs-fb", "other-0", { labels: { app: "other" } });
          await env.crs.create("clusterspiffeids", "fallback-a", {
            spiffeIDTemplate: byPod("fallback-a"),
            namespaceSelector: only("pcs-fb"),
            fallback: true,
          });
          await env.crs.create("clusterspiffeids", "specific", {
            spiffeIDTemplate: byPod("specific"),
            namespaceSelector: only("pcs-fb"),
            podSelector: { matchLabels: { app: "web" } },
          });
          await env.crs.create("clusterspiffeids", "fallback-b", {
            spiffeIDTemplate: byPod("fallback-b"),
            namespaceSelector: only("pcs-fb"),
            fallback: true,
          });
          // selects other-0 but renders no entry for it (`broken/` is no SPIFFE ID): other-0 stays unmarked
          await env.crs.create("clusterspiffeids", "broken", {
            spiffeIDTemplate: 'spiffe://{{ .TrustDomain }}/broken/{{ index .PodMeta.Labels "missing" }}',
            namespaceSelector: only("pcs-fb"),
            podSelector: { matchLabels: { app: "other" } },
          });
        },
        expect: () => ({
          ids: ["fallback-a/other-0", "fallback-b/other-0", "specific/web-0"],
          stats: {
            specific: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            broken: stats({ namespacesSelected: 1, podsSelected: 1, podEntryRenderFailures: 1 }),
            // podsSelected counts the pods a fallback skips
            "fallback-a": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 1 }),
            "fallback-b": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 1 }),
          },
        }),
      },
      {
        what: "web-0 relabelled out of the specific one: the fallbacks apply to it",
        async act(env) {
          await env.w.labelPod("pcs-fb", "web-0", { app: "moved" });
        },
        expect: () => ({
          ids: ["fallback-a/other-0", "fallback-a/web-0", "fallback-b/other-0", "fallback-b/web-0"],
          stats: {
            specific: stats({ namespacesSelected: 1 }),
            broken: stats({ namespacesSelected: 1, podsSelected: 1, podEntryRenderFailures: 1 }),
            "fallback-a": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
            "fallback-b": stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }),
          },
        }),
      },
    ],
  },
  {
    title: `className: "${CLASS}" and classless handled (watchClassless), another class ignored`,
    namespaces: { "pcs-class": {} },
    steps: [
      {
        what: "a pod, then ClusterSPIFFEIDs and ClusterStaticEntries of three classes",
        async act(env) {
          await env.run("pcs-class", "web-0");
          for (const [name, className] of [
            ["class-match", CLASS],
            ["class-other", "other"],
            ["classless", undefined],
          ] as const) {
            await env.crs.create("clusterspiffeids", name, {
              spiffeIDTemplate: byPod(`class/${name}`),
              namespaceSelector: only("pcs-class"),
              ...(className === undefined ? {} : { className }),
            });
            await env.crs.create("clusterstaticentries", name, {
              spiffeID: `spiffe://${TD}/static/${name}`,
              parentID: `spiffe://${TD}/spire/server`,
              selectors: [`k8s_psat:cluster:${name}`],
              ...(className === undefined ? {} : { className }),
            });
          }
        },
        expect: () => ({
          ids: ["class/class-match/web-0", "class/classless/web-0", "static/class-match", "static/classless"],
          stats: {
            "class-match": stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            "class-other": undefined,
            classless: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
          },
          statics: {
            "class-match": { rendered: true, masked: false, set: false },
            "class-other": undefined,
            classless: { rendered: true, masked: false, set: false },
          },
        }),
      },
    ],
  },
  {
    title: "ClusterStaticEntry: a node alias, every field, one masked by an older one with the same key",
    namespaces: {},
    steps: [
      {
        what: "three ClusterStaticEntries",
        async act(env) {
          await env.crs.create("clusterstaticentries", "node-alias", {
            spiffeID: `spiffe://${TD}/k8s/${CLUSTER}/nodes`,
            parentID: `spiffe://${TD}/spire/server`,
            selectors: [`k8s_psat:cluster:${CLUSTER}`, "k8s_psat:agent_node_name:kwok-node-0"],
          });
          await env.crs.create("clusterstaticentries", "every-field", {
            spiffeID: `spiffe://${TD}/static/db`,
            parentID: `spiffe://${TD}/k8s/${CLUSTER}/nodes`,
            selectors: ["unix:uid:1000", "unix:gid:1000"],
            federatesWith: ["spiffe://federated.example", "partner.example"],
            x509SVIDTTL: "10m",
            jwtSVIDTTL: "2m",
            dnsNames: ["db.example", "a.example"],
            hint: "static-db",
            admin: true,
            downstream: true,
          });
          await nextSecond();
          // the same key (selectors in another order), younger: masked
          await env.crs.create("clusterstaticentries", "same-key", {
            spiffeID: `spiffe://${TD}/static/db`,
            parentID: `spiffe://${TD}/k8s/${CLUSTER}/nodes`,
            selectors: ["unix:gid:1000", "unix:uid:1000"],
            hint: "same-key",
          });
        },
        expect: () => ({
          ids: [`k8s/${CLUSTER}/nodes`, "static/db"],
          stats: {},
          statics: {
            "node-alias": { rendered: true, masked: false, set: false },
            "every-field": { rendered: true, masked: false, set: false },
            "same-key": { rendered: true, masked: true, set: false },
          },
          check(entries) {
            expect(entryOf(entries, "static/db")).toEqual({
              spiffeId: `spiffe://${TD}/static/db`,
              parentId: `spiffe://${TD}/k8s/${CLUSTER}/nodes`,
              selectors: ["unix:gid:1000", "unix:uid:1000"],
              dnsNames: ["a.example", "db.example"],
              federatesWith: FEDERATED,
              admin: true,
              downstream: true,
              x509SvidTtl: 600,
              jwtSvidTtl: 120,
              hint: "static-db",
              storeSvid: false,
            });
          },
        }),
      },
    ],
  },
  {
    title:
      "deliberate difference (printing what no identity uses): templates printing a whole Kubernetes struct",
    namespaces: { "pcs-print": {} },
    steps: [
      {
        what: "a pod, then ClusterSPIFFEIDs printing .PodSpec.SecurityContext in the SPIFFE ID and in a DNS name",
        async act(env) {
          await env.run("pcs-print", "web-0");
          // SCM prints Go's protobuf text, `&PodSecurityContext{SELinuxOptions:nil,...}`: no SPIFFE ID, a
          // render failure; the project fails to render with an error naming the value. The same stats.
          await env.crs.create("clusterspiffeids", "prints-in-id", {
            spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/print/{{ .PodSpec.SecurityContext }}",
            namespaceSelector: only("pcs-print"),
          });
          // SCM sends that text as a DNS name, which SPIRE refuses (an entry failure); the project fails to
          // render the entry (a render failure). No entry on either side, but other stats, which both write to
          // this object: each write is an update event that makes the other side write its own again.
          await env.crs.create("clusterspiffeids", "prints-in-dns", {
            spiffeIDTemplate: byPod("print"),
            namespaceSelector: only("pcs-print"),
            dnsNameTemplates: ["{{ .PodSpec.SecurityContext }}"],
          });
        },
        expect: () => ({
          ids: [],
          stats: {
            "prints-in-id": stats({ namespacesSelected: 1, podsSelected: 1, podEntryRenderFailures: 1 }),
            "prints-in-dns": stats({
              namespacesSelected: 1,
              podsSelected: 1,
              entriesToSet: 1,
              entryFailures: 1,
            }),
          },
          contested: {
            name: "prints-in-dns",
            project: stats({ namespacesSelected: 1, podsSelected: 1, podEntryRenderFailures: 1 }),
          },
        }),
      },
    ],
  },
  {
    title: "events: Namespace and Node labels changed (SCM has no watch of either: its next pass sees them)",
    namespaces: { "pcs-labels": { team: "a" } },
    steps: [
      {
        what: "a pod, its node labelled, then a ClusterSPIFFEID selecting another team and naming the node's zone",
        async act(env) {
          const pod = await env.run("pcs-labels", "web-0");
          await env.labelNode(pod.spec?.nodeName ?? "", ZONE_LABEL, "z1");
          await env.crs.create("clusterspiffeids", "zone", {
            spiffeIDTemplate: `spiffe://{{ .TrustDomain }}/zone/{{ index .NodeMeta.Labels "${ZONE_LABEL}" }}/{{ .PodMeta.Name }}`,
            namespaceSelector: { matchLabels: { team: "b" } },
          });
        },
        // all-zero stats equal an absent status: neither writes one
        expect: () => ({ ids: [], stats: { zone: undefined } }),
      },
      {
        what: "the namespace relabelled into the selector",
        async act(env) {
          await env.labelNamespace("pcs-labels", "team", "b");
        },
        expect: () => ({
          ids: ["zone/z1/web-0"],
          stats: { zone: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }) },
        }),
      },
      {
        what: "the node relabelled",
        async act(env) {
          await env.labelNode(env.pod("pcs-labels", "web-0").spec?.nodeName ?? "", ZONE_LABEL, "z2");
        },
        expect: () => ({
          ids: ["zone/z2/web-0"],
          stats: { zone: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }) },
        }),
      },
      {
        what: "the namespace relabelled out of the selector",
        async act(env) {
          await env.labelNamespace("pcs-labels", "team", "a");
        },
        expect: () => ({ ids: [], stats: { zone: stats({}) } }),
      },
    ],
  },
  {
    title: "events: pods relabelled out, deleted and added; the ClusterSPIFFEID's template changed",
    namespaces: { "pcs-life": {} },
    steps: [
      {
        what: "the ClusterSPIFFEID, then three pods",
        async act(env) {
          await env.crs.create("clusterspiffeids", "life", {
            spiffeIDTemplate: byPod("life"),
            namespaceSelector: only("pcs-life"),
            podSelector: { matchLabels: { app: "web" } },
          });
          for (const name of ["web-0", "web-1", "web-2"])
            await env.run("pcs-life", name, { labels: { app: "web" } });
        },
        expect: () => ({
          ids: ["life/web-0", "life/web-1", "life/web-2"],
          stats: { life: stats({ namespacesSelected: 1, podsSelected: 3, entriesToSet: 3 }) },
        }),
      },
      {
        what: "web-0 relabelled out, web-1 deleted, web-3 added",
        async act(env) {
          await env.w.labelPod("pcs-life", "web-0", { app: "gone" });
          await env.w.deletePod("pcs-life", "web-1");
          await env.run("pcs-life", "web-3", { labels: { app: "web" } });
        },
        expect: () => ({
          ids: ["life/web-2", "life/web-3"],
          stats: { life: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }) },
        }),
      },
      {
        what: "the template changed: every entry replaced",
        async act(env) {
          await env.crs.updateSpec("clusterspiffeids", "life", {
            spiffeIDTemplate: byPod("life-v2"),
            namespaceSelector: only("pcs-life"),
            podSelector: { matchLabels: { app: "web" } },
          });
        },
        expect: () => ({
          ids: ["life-v2/web-2", "life-v2/web-3"],
          stats: { life: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }) },
        }),
      },
      {
        what: "web-2 deleted while a finalizer holds it: terminating, it keeps its entry",
        async act(env) {
          await env.w.core.patchNamespacedPod(
            { namespace: "pcs-life", name: "web-2", body: { metadata: { finalizers: [HOLD] } } },
            mergePatch,
          );
          await env.w.core.deleteNamespacedPod({ namespace: "pcs-life", name: "web-2" });
        },
        expect: () => ({
          ids: ["life-v2/web-2", "life-v2/web-3"],
          stats: { life: stats({ namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 }) },
        }),
      },
      {
        what: "the finalizer removed: web-2 is gone, and so is its entry",
        async act(env) {
          await env.w.core.patchNamespacedPod(
            { namespace: "pcs-life", name: "web-2", body: { metadata: { finalizers: null } } },
            mergePatch,
          );
        },
        expect: () => ({
          ids: ["life-v2/web-3"],
          stats: { life: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }) },
        }),
      },
    ],
  },
  {
    title:
      "masking while a ClusterSPIFFEID is deleted: held by a finalizer it still declares (the creation time ranks first)",
    namespaces: { "pcs-del": {} },
    steps: [
      {
        what: "a pod, then two ClusterSPIFFEIDs declaring its entry, one second apart",
        async act(env) {
          await env.run("pcs-del", "web-0");
          await env.crs.create("clusterspiffeids", "first", {
            spiffeIDTemplate: byPod("del"),
            namespaceSelector: only("pcs-del"),
            hint: "first",
          });
          await nextSecond();
          await env.crs.create("clusterspiffeids", "second", {
            spiffeIDTemplate: byPod("del"),
            namespaceSelector: only("pcs-del"),
            hint: "second",
          });
        },
        expect: () => ({
          ids: ["del/web-0"],
          stats: {
            first: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            second: stats({ namespacesSelected: 1, podsSelected: 1, entriesMasked: 1 }),
          },
          check(entries) {
            expect(entryOf(entries, "del/web-0").hint).toBe("first");
          },
        }),
      },
      {
        what: "the older one deleted, held by a finalizer: still the oldest, it still wins",
        async act(env) {
          await env.crs.setFinalizers("clusterspiffeids", "first", [HOLD]);
          await env.crs.deleteOnly("clusterspiffeids", "first");
        },
        expect: () => ({
          ids: ["del/web-0"],
          stats: {
            first: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }),
            second: stats({ namespacesSelected: 1, podsSelected: 1, entriesMasked: 1 }),
          },
          check(entries) {
            expect(entryOf(entries, "del/web-0").hint).toBe("first");
          },
        }),
      },
      {
        what: "the finalizer removed: the younger one wins",
        async act(env) {
          await env.crs.setFinalizers("clusterspiffeids", "first", null);
        },
        expect: () => ({
          ids: ["del/web-0"],
          stats: { second: stats({ namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 }) },
          check(entries) {
            expect(entryOf(entries, "del/web-0").hint).toBe("second");
          },
        }),
      },
    ],
  },
  {
    // Needs store_svid in the SPIRE client (scm-spire): without it the project creates the entry without it, and
    // every full pass then finds it outdated and updates it (with a masked update: still without it).
    title: "ClusterStaticEntry with storeSVID",
    namespaces: {},
    steps: [
      {
        what: "one ClusterStaticEntry",
        async act(env) {
          await env.crs.create("clusterstaticentries", "stored", {
            spiffeID: `spiffe://${TD}/static/stored`,
            parentID: `spiffe://${TD}/spire/server`,
            selectors: ["unix:uid:2000"],
            storeSVID: true,
          });
        },
        expect: () => ({
          ids: ["static/stored"],
          stats: {},
          statics: { stored: { rendered: true, masked: false, set: false } },
          check(entries) {
            expect(entryOf(entries, "static/stored").storeSvid).toBe(true);
          },
        }),
      },
    ],
  },
  {
    // Needs the TrustDomain client (scm-spire): without it the project writes no federation relationships
    // (lib/runtime/runtime.ts, PENDING_FEDERATION).
    title:
      "ClusterFederatedTrustDomain: https_web, https_spiffe with a bundle, a younger one for a claimed trust domain",
    namespaces: {},
    steps: [
      {
        what: "three ClusterFederatedTrustDomains",
        async act(env) {
          await env.crs.create("clusterfederatedtrustdomains", "web-td", {
            trustDomain: "web.example",
            bundleEndpointURL: "https://web.example/bundle",
            bundleEndpointProfile: { type: "https_web" },
          });
          await env.crs.create("clusterfederatedtrustdomains", "spiffe-td", {
            trustDomain: "spiffe.example",
            bundleEndpointURL: "https://spiffe.example:8443",
            bundleEndpointProfile: {
              type: "https_spiffe",
              endpointSPIFFEID: "spiffe://spiffe.example/spire/server",
            },
            trustDomainBundle: await spiffeBundleJson(env.caPath),
          });
          await nextSecond();
          await env.crs.create("clusterfederatedtrustdomains", "web-td-again", {
            trustDomain: "web.example",
            bundleEndpointURL: "https://other.example/bundle",
            bundleEndpointProfile: { type: "https_web" },
          });
        },
        expect: () => ({
          ids: [],
          stats: {},
          relationships: ["spiffe.example", "web.example"],
        }),
      },
    ],
  },
];

describe.skipIf(skipWithoutPeers(PEERS))(
  "cluster-spiffeid mode: parity with spire-controller-manager v0.6.6",
  () => {
    let run: RunDir | undefined;
    let cluster: Cluster | undefined;
    let projectServer: SpireServer | undefined;
    let scmServer: SpireServer | undefined;
    let scm: Scm | undefined;
    let fns: ClusterSpiffeIdFunctions | undefined;
    const stops: Array<() => Promise<void>> = [];

    const peers = () => {
      if (!cluster || !projectServer || !scmServer || !fns)
        throw new Error("peers did not start (see beforeAll)");
      return { cluster, projectServer, scmServer, fns };
    };

    const makeEnv = (): Env => {
      const { cluster } = peers();
      const w = workloads(cluster.kubeConfig);
      const pods = new Map<string, V1Pod>();
      const nodeLabels = new Set<string>();
      const pod = (namespace: string, name: string) => {
        const found = pods.get(`${namespace}/${name}`);
        if (!found) throw new Error(`pod ${namespace}/${name} was not run by this set`);
        return found;
      };
      return {
        w,
        crs: scmResources(cluster.kubeConfig),
        caPath: cluster.pki.ca.certPath,
        pods,
        async run(namespace, name, spec) {
          const running = await w.runPod(namespace, name, spec);
          pods.set(`${namespace}/${name}`, running);
          return running;
        },
        pod,
        async agentOf(namespace, name) {
          const node = await w.core.readNode({ name: pod(namespace, name).spec?.nodeName ?? "" });
          return `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${node.metadata?.uid}`;
        },
        async labelNode(node, key, value) {
          await w.core.patchNode(
            { name: node, body: { metadata: { labels: { [key]: value } } } },
            mergePatch,
          );
          nodeLabels.add(`${node}\n${key}`);
        },
        async labelNamespace(namespace, key, value) {
          await w.core.patchNamespace(
            { name: namespace, body: { metadata: { labels: { [key]: value } } } },
            mergePatch,
          );
        },
        nodeLabels,
      };
    };

    /** The stored statuses of every custom resource, and their resourceVersions. */
    const readResources = async (env: Env) => {
      const [clusterSpiffeIds, staticEntries, federated] = await Promise.all([
        env.crs.list("clusterspiffeids"),
        env.crs.list("clusterstaticentries"),
        env.crs.list("clusterfederatedtrustdomains"),
      ]);
      const versions = (items: ScmObject[]) =>
        Object.fromEntries(items.map((item) => [item.metadata.name, item.metadata.resourceVersion]));
      return {
        stats: Object.fromEntries(clusterSpiffeIds.map((item) => [item.metadata.name, storedStats(item)])),
        statics: Object.fromEntries(staticEntries.map((item) => [item.metadata.name, storedStatic(item)])),
        versions: {
          clusterspiffeids: versions(clusterSpiffeIds),
          clusterstaticentries: versions(staticEntries),
          clusterfederatedtrustdomains: versions(federated),
        },
      };
    };

    /** Both servers and the stored statuses are as `expected` says, now. */
    const assertState = async (env: Env, expected: Expected) => {
      const { projectServer, scmServer } = peers();
      const [ours, theirs, ourRelationships, theirRelationships, resources] = await Promise.all([
        readScmEntries(projectServer),
        readScmEntries(scmServer),
        readRelationships(projectServer),
        readRelationships(scmServer),
        readResources(env),
      ]);
      expect(theirs.map(path), "SCM's entries").toEqual(expected.ids);
      expected.check?.(theirs);
      expect(diffScmEntries(ours, theirs), "entries only one side has").toEqual({
        onlyInProject: [],
        onlyInScm: [],
      });
      expect(
        theirRelationships.map((r) => r.trust_domain),
        "SCM's relationships",
      ).toEqual(expected.relationships ?? []);
      expect(ourRelationships, "federation relationships").toEqual(theirRelationships);
      const contested = expected.contested;
      const stored = contested && resources.stats[contested.name];
      const projectWroteLast = contested && JSON.stringify(stored) === JSON.stringify(contested.project);
      expect(resources.stats, "ClusterSPIFFEIDs' status.stats").toEqual(
        contested && projectWroteLast
          ? { ...expected.stats, [contested.name]: contested.project }
          : expected.stats,
      );
      expect(resources.statics, "ClusterStaticEntries' status").toEqual(expected.statics ?? {});
      return { ours, theirs, resources, projectWroteLast: projectWroteLast ?? false };
    };

    /**
     * Waits `STABLE_MS`; with a contested status, watches it meanwhile and logs how often it was rewritten and
     * whose values it held.
     */
    const watchContested = async (env: Env, set: ParitySet, expected: Expected) => {
      const contested = expected.contested;
      if (contested === undefined) return sleep(STABLE_MS);
      const versions = new Set<string>();
      const holders = new Set<string>();
      const until = Date.now() + STABLE_MS;
      while (Date.now() < until) {
        const item = (await env.crs.list("clusterspiffeids")).find(
          (cr) => cr.metadata.name === contested.name,
        );
        if (item) {
          versions.add(item.metadata.resourceVersion);
          const held = JSON.stringify(storedStats(item));
          holders.add(
            held === JSON.stringify(contested.project)
              ? "project"
              : held === JSON.stringify(expected.stats[contested.name])
                ? "SCM"
                : held,
          );
        }
        await sleep(100);
      }
      log(
        `${set.title}: ${contested.name}'s status: ${versions.size} resourceVersions in ${STABLE_MS} ms, held ${[...holders].join(" and ")}'s stats`,
      );
    };

    /** Converged from the events, stays put over several SCM passes, and a resync writes nothing. */
    const converge = async (env: Env, set: ParitySet, step: Step) => {
      const { fns } = peers();
      const expected = await step.expect(env);
      const what = `${set.title}: ${step.what}`;
      // a contested status is rewritten whenever the other side writes its own
      const versions = (state: Awaited<ReturnType<typeof assertState>>) => {
        const { [expected.contested?.name ?? ""]: _contested, ...others } =
          state.resources.versions.clusterspiffeids;
        return { ...state.resources.versions, clusterspiffeids: others };
      };
      // Converged, and still so with nothing rewritten over several of SCM's passes. While they converge the
      // two may rewrite a status more than once (a static entry's `set` is true only after the pass that
      // created its entry, and each side's pass may read the status before the other's write); a fight over
      // a status never settles.
      const first = await eventually(
        async () => {
          const converged = await assertState(env, expected);
          await watchContested(env, set, expected);
          const settled = await assertState(env, expected);
          expect(versions(settled), "resources rewritten after convergence").toEqual(versions(converged));
          expect(settled.ours, "the project's entries changed after convergence").toEqual(converged.ours);
          return settled;
        },
        { timeoutMs: CONVERGE_MS, intervalMs: 1_000, what: `${what}: both converged, and settled` },
      );
      const summary = await fns.resync();
      expect(summary, `${what}: the resync wrote something`).toMatchObject({
        entriesCreated: 0,
        entriesUpdated: 0,
        entriesDeleted: 0,
        relationshipsCreated: 0,
        relationshipsUpdated: 0,
        relationshipsDeleted: 0,
        ...(expected.contested ? {} : { statusWrites: 0 }),
      });
      // SCM writes its own stats back after the project wrote a contested status
      const after = await eventually(
        async () => {
          const state = await assertState(env, expected);
          expect(state.projectWroteLast, "the project's stats stored").toBe(false);
          return state;
        },
        { timeoutMs: CONVERGE_MS, intervalMs: 500, what: `${what}: SCM's stats stored after the resync` },
      );
      expect(versions(after), `${what}: resources rewritten by the resync`).toEqual(versions(first));
    };

    /** Deletes the set's resources and namespaces, and waits until both servers are empty again. */
    const cleanUp = async (env: Env, set: ParitySet) => {
      const { projectServer, scmServer } = peers();
      for (const label of env.nodeLabels) {
        const [node = "", key = ""] = label.split("\n");
        await env.labelNode(node, key, null);
      }
      await env.crs.deleteAll();
      for (const namespace of Object.keys(set.namespaces))
        for (const held of (await env.w.core.listNamespacedPod({ namespace })).items)
          if (held.metadata?.finalizers?.length)
            await env.w.core.patchNamespacedPod(
              { namespace, name: held.metadata.name ?? "", body: { metadata: { finalizers: null } } },
              mergePatch,
            );
      await Promise.all(Object.keys(set.namespaces).map((namespace) => env.w.deleteNamespace(namespace)));
      await eventually(
        async () => {
          for (const server of [projectServer, scmServer]) {
            expect(await readScmEntries(server), server.socketPath).toEqual([]);
            expect(await readRelationships(server), server.socketPath).toEqual([]);
          }
        },
        { timeoutMs: CONVERGE_MS, intervalMs: 1_000, what: `${set.title}: both servers empty again` },
      );
    };

    beforeAll(async () => {
      run = await makeRunDir("pscm", log);
      [cluster, projectServer, scmServer] = await Promise.all([
        startCluster({ nodes: 3, crds: await scmCrdFiles() }),
        startSpireServer({ trustDomain: TD }),
        startSpireServer({ trustDomain: TD }),
      ]);
      stops.push(cluster.stop, projectServer.stop, scmServer.stop);
      for (const server of [projectServer, scmServer])
        for (const trustDomain of FEDERATED)
          await setFederatedBundle(server, trustDomain, cluster.pki.ca.certPath);
      scm = await startSpireControllerManager({
        server: scmServer,
        kubeconfigPath: cluster.kubeconfigPath,
        clusterName: CLUSTER,
        config: {
          clusterDomain: "cluster.local",
          className: CLASS,
          watchClassless: true,
          gcInterval: GC_INTERVAL_MS * 1_000_000,
        },
      });
      stops.push(scm.stop);
      fns = await startClusterSpiffeIdFunctions({
        dir: run.path,
        kubeconfigPath: cluster.kubeconfigPath,
        socketPath: projectServer.socketPath,
        trustDomain: TD,
        cluster: CLUSTER,
        config: { cluster_domain: "cluster.local", class_name: CLASS, watch_classless: true },
      });
      stops.push(fns.stop);
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(printPeerLogs);
      onTestFailed(() => {
        log(`the functions' config and log (cluster-spiffeid.log) are in ${run?.path}`);
      });
    });

    afterAll(async () => {
      // the functions (and their bridge) first, then SCM, the SPIRE servers and the cluster
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await run?.remove();
    });

    it("starts from an empty cluster and two empty servers", async () => {
      const { cluster, projectServer, scmServer } = peers();
      const namespaces = await workloads(cluster.kubeConfig).core.listNamespace();
      expect(namespaces.items.map((namespace) => namespace.metadata?.name).sort()).toEqual(SYSTEM_NAMESPACES);
      for (const server of [projectServer, scmServer]) {
        expect(await readScmEntries(server)).toEqual([]);
        expect(await readRelationships(server)).toEqual([]);
      }
    });

    it.each(SETS)(
      "$title",
      async (set) => {
        const env = makeEnv();
        try {
          for (const [namespace, labels] of Object.entries(set.namespaces))
            await env.w.createNamespace(namespace, labels);
          for (const step of set.steps) {
            await step.act(env);
            await converge(env, set, step);
          }
        } catch (error) {
          // the set's failure is the one to report; a clean-up failing after it only in the log
          await cleanUp(env, set).catch((cleanUpError: unknown) => {
            log(`${set.title}: clean-up failed too: ${String(cleanUpError)}`);
          });
          throw error;
        }
        await cleanUp(env, set);
      },
      SET_TIMEOUT_MS,
    );
  },
);

/** An entry's SPIFFE ID path without the leading slash. */
function path(entry: ScmEntry): string {
  return entry.spiffeId.replace(`spiffe://${TD}/`, "");
}

/** A ClusterSPIFFEID's stored stats (`undefined` when none was ever written). */
function storedStats(item: ScmObject): Stats | undefined {
  const stored = item.status?.stats as Partial<Stats> | undefined;
  return stored === undefined ? undefined : stats(stored);
}

/** A ClusterStaticEntry's stored status (`undefined` when none was ever written). */
function storedStatic(item: ScmObject): StaticStatus | undefined {
  const stored = item.status as Partial<StaticStatus> | undefined;
  if (stored === undefined || Object.keys(stored).length === 0) return undefined;
  return { rendered: stored.rendered ?? false, masked: stored.masked ?? false, set: stored.set ?? false };
}
