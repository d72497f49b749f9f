/**
 * Parity with spire-controller-manager v0.6.6 where its configuration is not the default, and for resources its
 * webhook would have refused (the webhook is off, as with `ENABLE_WEBHOOKS=false` or a webhook that failed
 * open): SCM and cluster-spiffeid mode run with the same `parentIDTemplate` and `ignoreNamespaces` on one
 * cluster, each with its own spire-server, over ClusterSPIFFEIDs with TTLs that are not whole seconds, an
 * unparseable template, an invalid selector, and a template that fails on one pod only. Their entries must be
 * equal in every field but the ID.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { readEntries } from "./harness/entries.js";
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
import { scmResources } from "./support/scm-parity.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "parity-config";
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);
const PARENT_TEMPLATE = "spiffe://{{ .TrustDomain }}/agent/{{ .ClusterName }}/{{ .NodeMeta.Name }}";

const PEERS = [...CLUSTER_PEERS, "spire-server", "spire-controller-manager"] as const;

describe.skipIf(skipWithoutPeers(PEERS))(
  "cluster-spiffeid parity with SCM's configuration and unchecked resources",
  () => {
    let dir: RunDir | undefined;
    let plane: Cluster | undefined;
    let scmServer: SpireServer | undefined;
    let ownServer: SpireServer | undefined;
    let scm: Scm | undefined;
    let functions: ClusterSpiffeIdFunctions | undefined;

    beforeAll(async () => {
      dir = await makeRunDir("parity-config", log);
      [plane, scmServer, ownServer] = await Promise.all([
        startCluster({ nodes: 2, crds: await scmCrdFiles() }),
        startSpireServer({ trustDomain: TD }),
        startSpireServer({ trustDomain: TD }),
      ]);
      const w = workloads(plane.kubeConfig);
      await Promise.all([w.createNamespace("apps"), w.createNamespace("skip-me")]);
      await Promise.all([
        w.runPod("apps", "web-0", { labels: { app: "web", tier: "front" } }),
        w.runPod("apps", "web-1", { labels: { app: "web" } }),
        w.runPod("skip-me", "web-2", { labels: { app: "web", tier: "front" } }),
        // kube-public is ignored by default, not with this ignoreNamespaces.
        w.runPod("kube-public", "web-3", { labels: { app: "web", tier: "front" } }),
      ]);
      const resources = scmResources(plane.kubeConfig);
      const create = (name: string, spec: Record<string, unknown>) =>
        resources.create("clusterspiffeids", name, spec);
      await Promise.all([
        create("fractional-ttls", {
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ttl/{{ .PodMeta.Namespace }}/{{ .PodMeta.Name }}",
          podSelector: { matchLabels: { app: "web" } },
          ttl: "1m30.9s",
          jwtTtl: "2.5s",
        }),
        // Only pods with a `tier` label render: the others are render failures, as in SCM.
        create("tier", {
          spiffeIDTemplate:
            'spiffe://{{ .TrustDomain }}/tier/{{ index .PodMeta.Labels "tier" }}/{{ .PodMeta.Name }}',
          podSelector: { matchLabels: { app: "web" } },
          workloadSelectorTemplates: ["k8s:ns:{{ .PodMeta.Namespace }}"],
        }),
        create("unparseable", {
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/broken/{{ .PodMeta.Name ",
          podSelector: { matchLabels: { app: "web" } },
        }),
        create("bad-selector", {
          spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/bad-selector/{{ .PodMeta.Name }}",
          podSelector: { matchExpressions: [{ key: "app", operator: "In", values: [] }] },
        }),
      ]);

      const settings = { parentIDTemplate: PARENT_TEMPLATE, ignoreNamespaces: ["^skip-"] };
      scm = await startSpireControllerManager({
        server: scmServer,
        kubeconfigPath: plane.kubeconfigPath,
        clusterName: CLUSTER,
        config: settings,
        log,
      });
      const functionsDir = join(dir.path, "functions");
      await mkdir(functionsDir);
      functions = await startClusterSpiffeIdFunctions({
        dir: functionsDir,
        kubeconfigPath: plane.kubeconfigPath,
        socketPath: ownServer.socketPath,
        trustDomain: TD,
        cluster: CLUSTER,
        config: {
          cluster_domain: "cluster.local",
          parent_id_template: settings.parentIDTemplate,
          ignore_namespaces: settings.ignoreNamespaces,
        },
        bridge: false,
      });
    });

    afterAll(async () => {
      await functions?.stop();
      await scm?.stop();
      await Promise.all([scmServer?.stop(), ownServer?.stop()]);
      await plane?.stop();
      await dir?.remove();
    });

    beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs));

    it("writes SCM's entries: parent template, ignored namespaces, truncated TTLs, unchecked resources skipped", async () => {
      if (!plane || !scmServer || !ownServer || !functions) throw new Error("setup failed (see beforeAll)");
      const summary = await functions.resync();
      expect(summary).toMatchObject({ status: "done", entriesFailed: 0 });
      const own = await readEntries(ownServer);
      const scmServerEntries = scmServer;
      await eventually(async () => expect(await readEntries(scmServerEntries)).toEqual(own), {
        timeoutMs: 30_000,
      });

      // What the equal sets hold: web-0, web-1 and web-3 (kube-public) under both CRs that render, web-1 not under
      // "tier" (no label), web-2 in an ignored namespace nowhere; parents from the template.
      const nodeName = (
        await workloads(plane.kubeConfig).core.readNamespacedPod({ namespace: "apps", name: "web-0" })
      ).spec?.nodeName;
      expect(own.map((entry) => entry.spiffeId).sort()).toEqual(
        [
          "tier/front/web-0",
          "tier/front/web-3",
          "ttl/apps/web-0",
          "ttl/apps/web-1",
          "ttl/kube-public/web-3",
        ].map((path) => `spiffe://${TD}/${path}`),
      );
      expect(own.find((entry) => entry.spiffeId.endsWith("/ttl/apps/web-0"))).toMatchObject({
        parentId: `spiffe://${TD}/agent/${CLUSTER}/${nodeName}`,
        x509SvidTtl: 90,
        jwtSvidTtl: 2,
      });
    });
  },
);
