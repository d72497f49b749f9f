/**
 * Reconcile-mode parity with the Go registrar v1.5.6: for each identity configuration (service
 * account with pod DNS names, pod_label, pod_annotation), the project's functions (k8s-events fed by
 * the event bridge, and resync) and k8s-workload-registrar v1.5.6 run on the same living cluster
 * (startCluster: kube-controller-manager, kube-scheduler, kwok nodes), each with its own fresh
 * spire-server and the same configuration (only socket, metrics and log paths differ). One table of
 * workloads is made as users make them; the scheduler places the pods, kwok runs them, and the
 * controllers write both the Endpoints the Go registrar reads and the EndpointSlices the project
 * reads. Once both have converged, their entries (SPIFFE ID, parent, selectors, DNS names, TTL,
 * admin, downstream, federation) must be equal, or differ by exactly the README "Deliberate
 * differences" items named below. Nodes and pod IPs are the cluster's: expected values are read
 * from the pods.
 */
import type { V1Pod } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { readEntries } from "./harness/entries.js";
import { type GoRegistrar, startGoRegistrar } from "./harness/go-registrar.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { type ComparableEntry, diffEntries, type EntryDiff, podEntry } from "./support/entry-diff.js";
import { eventually } from "./support/eventually.js";
import { type ReconcileFunctions, startReconcileFunctions } from "./support/reconcile-functions.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "parity";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/${CLUSTER}/node`;
const NS = "par-app";
const ID_NS = "par-id";
const CONVERGE_MS = 60_000;
const PEERS = [...CLUSTER_PEERS, "spire-server", "k8s-workload-registrar"] as const;
const logger = pino({ level: "silent" });
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** The table's pods that expected values are read from, as the cluster serves them. */
interface Table {
  web0: V1Pod;
  /** The Job's pod, finished (Succeeded). */
  done: V1Pod;
  annMulti: V1Pod;
}

interface Variant {
  title: string;
  config: Record<string, unknown>;
  /** The project's pod entries once converged: pod name -> SPIFFE ID path. */
  pods: Record<string, string>;
  /** What README's "Deliberate differences" make differ once both have converged. */
  expected(table: Table): EntryDiff;
}

/** A pod's IP as reconcile mode writes it in DNS names: 10.64.0.5 -> 10-64-0-5. */
const dashedIp = (pod: V1Pod) => (pod.status?.podIP ?? "").replaceAll(".", "-");

/** A pod entry of reconcile mode, parented to the entry of the pod's node. */
const podOn = (pod: V1Pod, spiffeId: string, dnsNames: string[] = []): ComparableEntry =>
  podEntry({
    spiffeId: `spiffe://${TD}/${spiffeId}`,
    parentId: `${ROOT}/${pod.spec?.nodeName}`,
    selectors: [`k8s:ns:${pod.metadata?.namespace}`, `k8s:pod-name:${pod.metadata?.name}`],
    dnsNames,
  });

const VARIANTS: Variant[] = [
  {
    title: "service-account IDs with pod DNS names",
    config: { add_pod_dns_names: true },
    pods: {
      "web-0": `ns/${NS}/sa/web`,
      "web-1": `ns/${NS}/sa/web`,
      "api-0": `ns/${NS}/sa/api`,
      "lab-0": `ns/${ID_NS}/sa/default`,
      "ann-0": `ns/${ID_NS}/sa/default`,
      "ann-multi": `ns/${ID_NS}/sa/default`,
    },
    // "Pod entries are removed when the pod is gone or finished (Succeeded/Failed)": the Go registrar
    // keeps the entry of a finished pod until the pod object is deleted (with the names of the IP
    // the pod kept; no Service selects it).
    expected: ({ done }) => ({
      onlyInProject: [],
      onlyInOriginal: [
        podOn(done, `ns/${NS}/sa/batch`, [
          `${dashedIp(done)}.${NS}.pod.cluster.local`,
          `${dashedIp(done)}.${NS}.pod`,
        ]),
      ],
    }),
  },
  {
    title: "pod_label IDs",
    config: { add_pod_dns_names: false, pod_label: "spiffe-id" },
    pods: { "lab-0": "billing" },
    expected: () => ({ onlyInProject: [], onlyInOriginal: [] }),
  },
  {
    title: "pod_annotation IDs",
    config: { add_pod_dns_names: false, pod_annotation: "spiffe.io/spiffe-id" },
    pods: { "ann-0": "worker-1", "ann-multi": "team-c/worker" },
    // "a label or annotation value with `/` is a multi-segment path ... in every mode": v1.5.6's
    // reconcile mode refuses it (and retries the pod forever).
    expected: ({ annMulti }) => ({ onlyInProject: [podOn(annMulti, "team-c/worker")], onlyInOriginal: [] }),
  },
];

const podName = (selectors: readonly string[]) =>
  selectors.find((s) => s.startsWith("k8s:pod-name:"))?.slice("k8s:pod-name:".length);

interface Pair {
  variant: Variant;
  projectServer: SpireServer;
  originalServer: SpireServer;
  fns: ReconcileFunctions;
  bridge: Bridge;
  registrar: GoRegistrar;
}

describe.skipIf(skipWithoutPeers(PEERS))("reconcile mode: parity with the Go registrar v1.5.6", () => {
  let run: RunDir | undefined;
  let cluster: Cluster | undefined;
  let table: Table | undefined;
  const pairs: Pair[] = [];
  const stops: Array<() => Promise<void>> = [];

  const env = () => {
    if (!cluster || pairs.length !== VARIANTS.length) throw new Error("peers did not start (see beforeAll)");
    return { cluster, w: workloads(cluster.kubeConfig) };
  };

  /** Runs the project's resync (its state is then final), then waits for the Go registrar to match. */
  const converged = async (pair: Pair) => {
    if (!table) throw new Error("the table was not built (see the first test)");
    const expected = pair.variant.expected(table);
    const resync = await fetch(pair.fns.resyncUrl, { method: "POST" });
    expect(resync.status, await resync.text()).toBe(200);
    await eventually(
      async () => {
        const difference = diffEntries(
          await readEntries(pair.projectServer),
          await readEntries(pair.originalServer),
        );
        expect(difference).toEqual(expected);
      },
      { timeoutMs: CONVERGE_MS, intervalMs: 500, what: `${pair.variant.title}: the same entries` },
    );
  };

  beforeAll(async () => {
    run = await makeRunDir("prec", log);
    cluster = await startCluster({ nodes: 2 });
    stops.push(cluster.stop);
    for (const variant of VARIANTS) {
      const [projectServer, originalServer] = await Promise.all([
        startSpireServer({ trustDomain: TD }),
        startSpireServer({ trustDomain: TD }),
      ]);
      stops.push(projectServer.stop, originalServer.stop);
      const config = { trust_domain: TD, cluster: CLUSTER, ...variant.config };
      const fns = await startReconcileFunctions({
        dir: run.path,
        name: `fns-${pairs.length}`,
        kubeconfigPath: cluster.kubeconfigPath,
        socketPath: projectServer.socketPath,
        trustDomain: TD,
        cluster: CLUSTER,
        config,
      });
      stops.push(fns.stop);
      const bridge = await startBridge({
        client: cluster.kube,
        resources: ["pods", "nodes", "endpointslices"],
        sink: fns.eventsUrl,
        logger,
      });
      stops.push(bridge.stop);
      const registrar = await startGoRegistrar({
        mode: "reconcile",
        server: originalServer,
        kubeconfigPath: cluster.kubeconfigPath,
        config,
      });
      stops.push(registrar.stop);
      pairs.push({ variant, projectServer, originalServer, fns, bridge, registrar });
    }
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
    onTestFailed(() => {
      log(`functions' configs and logs are in ${run?.path}`);
    });
  });

  afterAll(async () => {
    // bridges and functions first, then the registrars, the SPIRE servers and the cluster
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await run?.remove();
  });

  it("builds the table of workloads", async () => {
    const { w } = env();
    await w.createNamespace(NS);
    await w.createNamespace(ID_NS);
    for (const account of ["web", "api", "batch"]) await w.createServiceAccount(NS, account);
    await w.createServiceAccount(ID_NS, "gone");
    await w.createServiceAccount("kube-system", "dns");
    // service-account identities; DNS names from the pod IP and from Services' endpoints: ready
    // without a hostname (websvc), ready with one (the StatefulSet's headless Service "web" gives its
    // pods their hostnames), not ready (apisvc: api-0's readiness gate is never set)
    const [web0] = await w.createStatefulSet(NS, "web", 2, {
      labels: { app: "web" },
      serviceAccount: "web",
    });
    await w.createService(NS, "websvc", { app: "web" });
    await w.runUnreadyPod(NS, "api-0", { labels: { app: "api" }, serviceAccount: "api" });
    await w.createService(NS, "apisvc", { app: "api" });
    await w.serviceTargets(NS, "web", ["web-0", "web-1"]);
    await w.serviceTargets(NS, "websvc", ["web-0", "web-1"]);
    await w.serviceTargets(NS, "apisvc", [], ["api-0"]);
    // a finished pod (a Job's), a pod no node can take, a pod in a disabled namespace
    const [done] = await w.runJob(NS, "done", 1, { labels: { job: "done" }, serviceAccount: "batch" });
    await w.createUnschedulablePod(NS, "pending-0", { serviceAccount: "web" });
    await w.runPod("kube-system", "sys-0", { serviceAccount: "dns" });
    // label and annotation identities (one segment; several segments)
    await w.runPod(ID_NS, "lab-0", { labels: { "spiffe-id": "billing" } });
    await w.runPod(ID_NS, "ann-0", { annotations: { "spiffe.io/spiffe-id": "worker-1" } });
    const annMulti = await w.runPod(ID_NS, "ann-multi", {
      annotations: { "spiffe.io/spiffe-id": "team-c/worker" },
    });
    if (!web0 || !done) throw new Error("the StatefulSet or the Job has no pods");
    expect(done.status?.phase).toBe("Succeeded");
    table = { web0, done, annMulti };
  });

  it.each(VARIANTS)("converges to the Go registrar's entries: $title", async (variant) => {
    const pair = pairs.find((p) => p.variant === variant);
    if (!pair || !table) throw new Error("peers did not start or the table was not built");
    const { cluster } = env();
    await converged(pair);
    // what they agree on: the node entries, and the pods of the table this mode registers
    const entries = await readEntries(pair.projectServer);
    expect(
      entries.filter((e) => e.parentId === `spiffe://${TD}/spire/server`).map((e) => e.spiffeId),
    ).toEqual(cluster.nodeNames.map((node) => `${ROOT}/${node}`));
    const pods = entries
      .filter((e) => e.parentId.startsWith(`${ROOT}/`))
      .map((e) => [podName(e.selectors), e.spiffeId.replace(`spiffe://${TD}/`, "")]);
    expect(Object.fromEntries(pods)).toEqual(variant.pods);
    if (variant.config.add_pod_dns_names) {
      const dnsNames = (pod: string) => entries.find((e) => podName(e.selectors) === pod)?.dnsNames;
      const ip0 = dashedIp(table.web0);
      expect(dnsNames("web-0")).toEqual(
        expect.arrayContaining([
          `${ip0}.${NS}.pod.cluster.local`,
          `websvc.${NS}.svc.cluster.local`,
          `web-0.websvc.${NS}.svc`,
          `${ip0}.websvc.${NS}`,
          `web-0.web.${NS}.svc.cluster.local`,
        ]),
      );
      // an endpoint with a hostname gives the hostname form only, no IP form
      expect(dnsNames("web-0")).not.toContain(`${ip0}.web.${NS}.svc.cluster.local`);
      expect(dnsNames("web-1")).toContain(`web-1.web.${NS}.svc.cluster.local`);
      expect(dnsNames("api-0")).toContain(`apisvc.${NS}`);
    }
  });

  it("removes a deleted pod's entry like the Go registrar", async () => {
    const { w } = env();
    await w.runPod(ID_NS, "gone-0", {
      serviceAccount: "gone",
      labels: { "spiffe-id": "gone" },
      annotations: { "spiffe.io/spiffe-id": "gone" },
    });
    const gone = (e: { selectors: string[] }) => e.selectors.includes("k8s:pod-name:gone-0");
    for (const pair of pairs) {
      await eventually(
        async () => {
          expect((await readEntries(pair.projectServer)).filter(gone)).toHaveLength(1);
          expect((await readEntries(pair.originalServer)).filter(gone)).toHaveLength(1);
        },
        { timeoutMs: CONVERGE_MS, intervalMs: 500, what: `${pair.variant.title}: entries for gone-0` },
      );
    }
    await w.deletePod(ID_NS, "gone-0");
    for (const pair of pairs) {
      await converged(pair);
      expect((await readEntries(pair.projectServer)).filter(gone)).toEqual([]);
    }
  });
});
