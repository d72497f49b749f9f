/**
 * The spire-controller-manager v0.6.6 harness (test/e2e/harness/scm.ts) works as the comparisons
 * need it: out of a cluster, with its CRDs applied, it turns a ClusterSPIFFEID into an entry per
 * matching pod in its own spire-server, and removes an entry it did not declare (why it needs a
 * server of its own).
 */
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { applyCrds } from "./harness/crds.js";
import { readEntries } from "./harness/entries.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type Scm, scmCrdFiles, startSpireControllerManager } from "./harness/scm.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { eventually } from "./support/eventually.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "scm-e2e";
const NS = "scm-app";

const PEERS = [...CLUSTER_PEERS, "spire-server", "spire-controller-manager"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("spire-controller-manager harness", () => {
  let plane: Cluster | undefined;
  let server: SpireServer | undefined;
  let scm: Scm | undefined;

  beforeAll(async () => {
    [plane, server] = await Promise.all([startCluster({ nodes: 1 }), startSpireServer({ trustDomain: TD })]);
    await applyCrds(plane.kubeConfig, await scmCrdFiles());
    const created = await server.cli([
      "entry",
      "create",
      "-parentID",
      `spiffe://${TD}/admin`,
      "-spiffeID",
      `spiffe://${TD}/hand-made`,
      "-selector",
      "unix:uid:1000",
    ]);
    if (created.code !== 0) throw new Error(`entry create failed: ${created.stderr}`);
    scm = await startSpireControllerManager({
      server,
      kubeconfigPath: plane.kubeconfigPath,
      clusterName: CLUSTER,
    });
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
  });
  afterAll(async () => {
    await scm?.stop();
    await server?.stop();
    await plane?.stop();
  });

  it("writes an entry for a pod a ClusterSPIFFEID selects, and removes entries it did not declare", async () => {
    if (!plane || !server) throw new Error("peers did not start (see beforeAll)");
    const spire = server;
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    await w.createServiceAccount(NS, "web");
    const pod = await w.runPod(NS, "web-0", { serviceAccount: "web", labels: { app: "web" } });
    await plane.kubeConfig.makeApiClient(CustomObjectsApi).createClusterCustomObject({
      group: "spire.spiffe.io",
      version: "v1alpha1",
      plural: "clusterspiffeids",
      body: {
        apiVersion: "spire.spiffe.io/v1alpha1",
        kind: "ClusterSPIFFEID",
        metadata: { name: "web" },
        spec: {
          spiffeIDTemplate:
            "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
          podSelector: { matchLabels: { app: "web" } },
        },
      },
    });
    const node = await w.core.readNode({ name: pod.spec?.nodeName ?? "" });
    await eventually(
      async () => {
        const entries = await readEntries(spire);
        expect(entries.map((e) => [e.spiffeId, e.parentId, e.selectors])).toEqual([
          [
            `spiffe://${TD}/ns/${NS}/sa/web`,
            `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${node.metadata?.uid}`,
            [`k8s:pod-uid:${pod.metadata?.uid}`],
          ],
        ]);
      },
      { timeoutMs: 60_000, intervalMs: 500, what: "the ClusterSPIFFEID's entry, and nothing else" },
    );
  });
});
