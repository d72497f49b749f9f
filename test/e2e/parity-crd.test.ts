/**
 * CRD-mode parity with the Go registrar v1.5.6. Both write SpiffeID resources, so they run one after
 * the other on one living cluster (startCluster: kube-controller-manager, kube-scheduler, kwok
 * nodes; the same objects, hence the same UIDs in selectors), each with its own fresh spire-server
 * and the same configuration: first the project's functions (k8s-events and spiffeid-events fed by
 * the event bridge, and resync) until a resync finds nothing to write; then their SpiffeIDs are
 * removed and k8s-workload-registrar v1.5.6 (crd mode, webhook off) starts. The SPIRE entries and
 * the SpiffeIDs' specs of the two must be equal, or differ by exactly the README "Deliberate
 * differences" items named below. The workloads are made as users make them; the controllers write
 * both the Endpoints the Go registrar reads and the EndpointSlices the project reads. Nodes and pod
 * UIDs are the cluster's: expected values are read from the pods.
 *
 * A deleted pod's SpiffeID: the project deletes it itself; the Go registrar leaves it to the
 * garbage collector (an ownerReference to the pod), kube-controller-manager's here.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { V1Pod } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Bridge } from "../../lib/bridge/bridge.js";
import { createSpiffeIdApi, type SpiffeIdApi } from "../../lib/k8s/spiffeids.js";
import type { SpiffeId } from "../../lib/planner/spiffeid.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { type NormalEntry, readEntries } from "./harness/entries.js";
import { type GoRegistrar, startGoRegistrar } from "./harness/go-registrar.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePort } from "./harness/ports.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { type CrdFunctions, startCrdBridges, startCrdFunctions } from "./support/crd-functions.js";
import { diffEntries, podEntry } from "./support/entry-diff.js";
import { eventually } from "./support/eventually.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "parity";
const REGISTRAR_NS = "spire";
const NS = "par-crd";
const NODE_ROOT = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
const CRD_FILE = new URL("../../knative/base/crd/spiffeid-crd.yaml", import.meta.url).pathname;
const CONFIG = { trust_domain: TD, cluster: CLUSTER, pod_controller: true, add_svc_dns_name: true };
const CONVERGE_MS = 60_000;
const PEERS = [...CLUSTER_PEERS, "spire-server", "k8s-workload-registrar"] as const;
const logger = pino({ level: "silent" });
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** What is compared of a SpiffeID: where it is, its registrar label and its spec. */
function specOf(spiffeId: SpiffeId): Record<string, unknown> {
  const { spec } = spiffeId;
  return {
    at: `${spiffeId.metadata.namespace}/${spiffeId.metadata.name}`,
    labels: spiffeId.metadata.labels ?? {},
    parentId: spec.parentId,
    spiffeId: spec.spiffeId,
    selector: spec.selector,
    dnsNames: spec.dnsNames ?? [],
    federatesWith: spec.federatesWith ?? [],
    downstream: spec.downstream ?? false,
  };
}

const byPlace = (a: Record<string, unknown>, b: Record<string, unknown>) =>
  String(a.at).localeCompare(String(b.at));

describe.skipIf(skipWithoutPeers(PEERS))("crd mode: parity with the Go registrar v1.5.6", () => {
  let run: RunDir | undefined;
  let cluster: Cluster | undefined;
  let spiffeIds: SpiffeIdApi | undefined;
  let projectServer: SpireServer | undefined;
  let originalServer: SpireServer | undefined;
  let fns: CrdFunctions | undefined;
  let registrar: GoRegistrar | undefined;
  /** The Job's pod, finished (Succeeded). */
  let done: V1Pod | undefined;
  const bridges: Bridge[] = [];
  const stops: Array<() => Promise<void>> = [];
  /** The project's converged result. */
  let projectEntries: NormalEntry[] = [];
  let projectSpecs: Record<string, unknown>[] = [];

  const env = () => {
    if (!cluster || !spiffeIds || !projectServer) throw new Error("peers did not start (see beforeAll)");
    return { cluster, spiffeIds, projectServer, w: workloads(cluster.kubeConfig) };
  };

  /** A pod created, registered, then deleted: its entry must go. */
  const deletedPod = async (server: SpireServer) => {
    const { w } = env();
    const pod = await w.runPod(NS, "gone-0", { serviceAccount: "gone" });
    const selector = `k8s:pod-uid:${pod.metadata?.uid}`;
    const ofPod = async () => (await readEntries(server)).filter((e) => e.selectors.includes(selector));
    await eventually(async () => expect(await ofPod()).toHaveLength(1), {
      timeoutMs: CONVERGE_MS,
      what: "an entry for gone-0",
    });
    await w.deletePod(NS, "gone-0");
    await eventually(async () => expect(await ofPod()).toEqual([]), {
      timeoutMs: CONVERGE_MS,
      intervalMs: 500,
      what: "gone-0's entry to be deleted",
    });
  };

  beforeAll(async () => {
    run = await makeRunDir("pcrd", log);
    [cluster, projectServer, originalServer] = await Promise.all([
      startCluster({ nodes: 2, crds: [CRD_FILE] }),
      startSpireServer({ trustDomain: TD }),
      startSpireServer({ trustDomain: TD }),
    ]);
    stops.push(cluster.stop, projectServer.stop, originalServer.stop);
    spiffeIds = createSpiffeIdApi(cluster.kube);
    const w = workloads(cluster.kubeConfig);
    for (const ns of [REGISTRAR_NS, NS]) await w.createNamespace(ns);

    // The project's validation webhook is served (the harness always starts it) but not registered.
    const certDir = join(run.path, "serving-certs");
    await mkdir(certDir);
    const serving = await cluster.pki.issueServerCert("spiffeid-webhook", ["127.0.0.1"]);
    await copyFile(serving.certPath, join(certDir, "tls.crt"));
    await copyFile(serving.keyPath, join(certDir, "tls.key"));
    fns = await startCrdFunctions({
      dir: run.path,
      kubeconfigPath: cluster.kubeconfigPath,
      socketPath: projectServer.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      registrarNamespace: REGISTRAR_NS,
      webhookCertDir: certDir,
      webhookPort: await freePort(),
      config: { ...CONFIG, webhook_enabled: false },
    });
    stops.push(fns.stop);
    bridges.push(...(await startCrdBridges(cluster.kube, fns, logger)));
    for (const bridge of bridges) stops.push(bridge.stop);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
    onTestFailed(() => {
      log(`functions' config and log (crd.log) are in ${run?.path}`);
    });
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await run?.remove();
  });

  it("builds the table of workloads", async () => {
    const { w } = env();
    for (const account of ["web", "api", "batch", "gone"]) await w.createServiceAccount(NS, account);
    await w.createServiceAccount("kube-system", "dns");
    // service-account identities; a Service name from ready endpoints, none from not-ready ones
    // (api-0's readiness gate is never set)
    await w.runPod(NS, "web-0", { labels: { app: "web" }, serviceAccount: "web" });
    await w.runPod(NS, "web-1", { labels: { app: "web" }, serviceAccount: "web" });
    await w.runUnreadyPod(NS, "api-0", { labels: { app: "api" }, serviceAccount: "api" });
    await w.createService(NS, "websvc", { app: "web" });
    await w.createService(NS, "apisvc", { app: "api" });
    await w.serviceTargets(NS, "websvc", ["web-0", "web-1"]);
    await w.serviceTargets(NS, "apisvc", [], ["api-0"]);
    // a finished pod (a Job's), a pod no node can take, a pod in a disabled namespace
    [done] = await w.runJob(NS, "done", 1, { labels: { job: "done" }, serviceAccount: "batch" });
    expect(done?.status?.phase).toBe("Succeeded");
    await w.createUnschedulablePod(NS, "pending-0", { serviceAccount: "web" });
    await w.runPod("kube-system", "sys-0", { serviceAccount: "dns" });
  });

  it("the project converges (a resync finds nothing to write) and removes a deleted pod's entry", async () => {
    const { cluster, projectServer, spiffeIds } = env();
    if (!fns) throw new Error("functions did not start");
    const resyncUrl = fns.resyncUrl;
    const quiet = async () => {
      const response = await fetch(resyncUrl, { method: "POST" });
      const summary = (await response.json()) as Record<string, unknown>;
      expect(response.status, JSON.stringify(summary)).toBe(200);
      expect(summary).toMatchObject({
        entriesCreated: 0,
        entriesUpdated: 0,
        entriesDeleted: 0,
        spiffeIdsCreated: 0,
        spiffeIdsUpdated: 0,
        spiffeIdsDeleted: 0,
        statusWrites: 0,
      });
    };
    await eventually(quiet, {
      timeoutMs: CONVERGE_MS,
      intervalMs: 500,
      what: "a resync with nothing to do",
    });
    // The project's events alone remove gone-0's entry (its SpiffeID is the garbage collector's).
    await deletedPod(projectServer);
    await eventually(quiet, {
      timeoutMs: CONVERGE_MS,
      intervalMs: 500,
      what: "a resync with nothing to do",
    });
    projectEntries = await readEntries(projectServer);
    projectSpecs = (await spiffeIds.list()).map(specOf).sort(byPlace);
    // the two nodes and pods web-0, web-1, api-0; a Service name only from ready addresses
    expect(projectEntries).toHaveLength(5);
    expect(projectSpecs.map((s) => [s.at, s.dnsNames])).toEqual([
      [`${NS}/api-0`, ["api-0"]],
      [`${NS}/web-0`, ["web-0", `websvc.${NS}.svc`]],
      [`${NS}/web-1`, ["web-1", `websvc.${NS}.svc`]],
      ...cluster.nodeNames.map((node) => [`${REGISTRAR_NS}/${node}`, []]),
    ]);
  });

  it("hands the cluster over: the project stops and its SpiffeIDs are removed", async () => {
    const { spiffeIds } = env();
    for (const bridge of bridges) await bridge.stop();
    await fns?.stop();
    for (const spiffeId of await spiffeIds.list()) {
      if (spiffeId.metadata.finalizers?.length) {
        await spiffeIds.replace({ ...spiffeId, metadata: { ...spiffeId.metadata, finalizers: [] } });
      }
      await spiffeIds.delete(spiffeId.metadata.namespace ?? "", spiffeId.metadata.name ?? "");
    }
    await eventually(async () => expect(await spiffeIds.list()).toEqual([]), { what: "no SpiffeIDs left" });
  });

  it("the Go registrar v1.5.6 converges to the same entries and SpiffeIDs", async () => {
    const { cluster, spiffeIds } = env();
    if (!originalServer || !done) throw new Error("peers did not start or the table was not built");
    const server = originalServer;
    registrar = await startGoRegistrar({
      mode: "crd",
      server,
      kubeconfigPath: cluster.kubeconfigPath,
      namespace: REGISTRAR_NS,
      config: CONFIG,
    });
    stops.push(registrar.stop);
    await deletedPod(server);

    // "Pod entries are removed when the pod is gone or finished (Succeeded/Failed)": the Go registrar
    // gives a finished pod a SpiffeID and an entry.
    const doneName = done.metadata?.name ?? "";
    const doneNode = done.spec?.nodeName ?? "";
    const doneEntry = podEntry({
      spiffeId: `spiffe://${TD}/ns/${NS}/sa/batch`,
      parentId: `${NODE_ROOT}/${doneNode}`,
      selectors: [`k8s:node-name:${doneNode}`, `k8s:ns:${NS}`, `k8s:pod-uid:${done.metadata?.uid}`],
      dnsNames: [doneName],
    });
    await eventually(
      async () =>
        expect(diffEntries(projectEntries, await readEntries(server))).toEqual({
          onlyInProject: [],
          onlyInOriginal: [doneEntry],
        }),
      { timeoutMs: CONVERGE_MS, intervalMs: 500, what: "the Go registrar's entries" },
    );
    const originalSpecs = (await spiffeIds.list()).map(specOf).sort(byPlace);
    expect(originalSpecs.filter((s) => s.at !== `${NS}/${doneName}`)).toEqual(projectSpecs);
  });
});
