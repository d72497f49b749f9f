/**
 * CRD-mode parity with the Go registrar v1.5.6. Both write SpiffeID resources, so they run one after
 * the other on one kube-apiserver (the same objects, hence the same UIDs in selectors), each with its
 * own fresh spire-server and the same configuration: first the project's functions (k8s-events and
 * spiffeid-events fed by the event bridge, and resync) until a resync finds nothing to write; then
 * their SpiffeIDs are removed and k8s-workload-registrar v1.5.6 (crd mode, webhook off) starts. The
 * SPIRE entries and the SpiffeIDs' specs of the two must be equal, or differ by exactly the README
 * "Deliberate differences" items named below.
 *
 * No garbage collector runs here: where the Go registrar relies on it (a deleted pod's SpiffeID),
 * the test deletes the SpiffeID as the collector would.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import { createSpiffeIdApi, type SpiffeIdApi } from "../../lib/k8s/spiffeids.js";
import type { SpiffeId } from "../../lib/planner/spiffeid.js";
import { applyCrds } from "./harness/crds.js";
import { type NormalEntry, readEntries } from "./harness/entries.js";
import { type GoRegistrar, startGoRegistrar } from "./harness/go-registrar.js";
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePort } from "./harness/ports.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { type CrdFunctions, startCrdFunctions } from "./support/crd-functions.js";
import { diffEntries, podEntry } from "./support/entry-diff.js";
import { eventually } from "./support/eventually.js";
import { kubeObjects } from "./support/kube-objects.js";

const TD = "example.org";
const CLUSTER = "parity";
const REGISTRAR_NS = "spire";
const NS = "par-crd";
const NODE_ROOT = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
const CRD_FILE = new URL("../../knative/base/crd/spiffeid-crd.yaml", import.meta.url).pathname;
const CONFIG = { trust_domain: TD, cluster: CLUSTER, pod_controller: true, add_svc_dns_name: true };
const CONVERGE_MS = 60_000;
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

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server", "k8s-workload-registrar"]))(
  "crd mode: parity with the Go registrar v1.5.6",
  () => {
    let run: RunDir | undefined;
    let plane: ControlPlane | undefined;
    let spiffeIds: SpiffeIdApi | undefined;
    let projectServer: SpireServer | undefined;
    let originalServer: SpireServer | undefined;
    let fns: CrdFunctions | undefined;
    let registrar: GoRegistrar | undefined;
    const bridges: Bridge[] = [];
    const stops: Array<() => Promise<void>> = [];
    /** The project's converged result. */
    let projectEntries: NormalEntry[] = [];
    let projectSpecs: Record<string, unknown>[] = [];

    const env = () => {
      if (!plane || !spiffeIds || !projectServer) throw new Error("peers did not start (see beforeAll)");
      const core = plane.kubeConfig.makeApiClient(CoreV1Api);
      return { plane, spiffeIds, projectServer, core, k: kubeObjects(plane.kubeConfig) };
    };

    /**
     * A pod created, registered, then deleted: its entry must go. When its SpiffeID outlives the pod,
     * the test deletes it as the garbage collector would (ownerReference to the pod).
     */
    const deletedPod = async (server: SpireServer) => {
      const { k, spiffeIds } = env();
      const pod = await k.createPod({ namespace: NS, name: "gone-0", node: "n1", serviceAccount: "gone" });
      const selector = `k8s:pod-uid:${pod.metadata?.uid}`;
      const ofPod = async () => (await readEntries(server)).filter((e) => e.selectors.includes(selector));
      await eventually(async () => expect(await ofPod()).toHaveLength(1), {
        timeoutMs: CONVERGE_MS,
        what: "an entry for gone-0",
      });
      await k.deletePod(NS, "gone-0");
      const left = await spiffeIds.get(NS, "gone-0");
      if (left?.metadata.ownerReferences?.some((o) => o.uid === pod.metadata?.uid)) {
        await spiffeIds.delete(NS, "gone-0", left.metadata.uid);
      }
      await eventually(async () => expect(await ofPod()).toEqual([]), {
        timeoutMs: CONVERGE_MS,
        what: "gone-0's entry to be deleted",
      });
    };

    beforeAll(async () => {
      run = await makeRunDir("pcrd", log);
      [plane, projectServer, originalServer] = await Promise.all([
        startControlPlane(),
        startSpireServer({ trustDomain: TD }),
        startSpireServer({ trustDomain: TD }),
      ]);
      stops.push(plane.stop, projectServer.stop, originalServer.stop);
      await applyCrds(plane.kubeConfig, [CRD_FILE]);
      spiffeIds = createSpiffeIdApi(plane.kube);
      const k = kubeObjects(plane.kubeConfig);
      for (const ns of [REGISTRAR_NS, NS]) await k.createNamespace(ns);

      // The project's validation webhook is served (the harness always starts it) but not registered.
      const certDir = join(run.path, "serving-certs");
      await mkdir(certDir);
      const serving = await plane.pki.issueServerCert("spiffeid-webhook", ["127.0.0.1"]);
      await copyFile(serving.certPath, join(certDir, "tls.crt"));
      await copyFile(serving.keyPath, join(certDir, "tls.key"));
      fns = await startCrdFunctions({
        dir: run.path,
        kubeconfigPath: plane.kubeconfigPath,
        socketPath: projectServer.socketPath,
        trustDomain: TD,
        cluster: CLUSTER,
        registrarNamespace: REGISTRAR_NS,
        webhookCertDir: certDir,
        webhookPort: await freePort(),
        config: { ...CONFIG, webhook_enabled: false },
      });
      stops.push(fns.stop);
      bridges.push(
        await startBridge({
          client: plane.kube,
          resources: ["pods", "nodes", "endpointslices"],
          sink: fns.k8sEventsUrl,
          logger,
        }),
        await startBridge({
          client: plane.kube,
          resources: ["spiffeids"],
          sink: fns.spiffeIdEventsUrl,
          logger,
        }),
      );
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

    it("builds the table of cluster objects", async () => {
      const { k, core } = env();
      await k.createNode("n1");
      await k.createNode("n2");
      // service-account identities; a Service name from ready endpoints, none from not-ready ones (as
      // Endpoints for the Go registrar and as EndpointSlices for the project)
      await k.createPod({ namespace: NS, name: "web-0", node: "n1", serviceAccount: "web" });
      await k.createPod({ namespace: NS, name: "web-1", node: "n2", serviceAccount: "web" });
      await k.createPod({ namespace: NS, name: "api-0", node: "n2", serviceAccount: "api" });
      await k.createEndpointsAndSlice(NS, "websvc", [
        { pod: "web-0", ip: "10.1.0.5" },
        { pod: "web-1", ip: "10.1.0.6" },
      ]);
      await k.createEndpointsAndSlice(NS, "apisvc", [{ pod: "api-0", ip: "10.1.0.7", ready: false }]);
      // a finished pod, a pod no scheduler has placed, a pod in a disabled namespace
      await k.createPod({ namespace: NS, name: "done-0", node: "n1", serviceAccount: "batch" });
      const done = await core.readNamespacedPodStatus({ namespace: NS, name: "done-0" });
      done.status = { ...done.status, phase: "Succeeded" };
      await core.replaceNamespacedPodStatus({ namespace: NS, name: "done-0", body: done });
      await core.createNamespacedPod({
        namespace: NS,
        body: {
          metadata: { name: "pending-0" },
          spec: { serviceAccountName: "web", containers: [{ name: "app", image: "registry.invalid/app:1" }] },
        },
      });
      await k.createPod({ namespace: "kube-system", name: "sys-0", node: "n1", serviceAccount: "dns" });
    });

    it("the project converges (a resync finds nothing to write) and removes a deleted pod's entry", async () => {
      const { projectServer, spiffeIds } = env();
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
      await deletedPod(projectServer);
      await eventually(quiet, {
        timeoutMs: CONVERGE_MS,
        intervalMs: 500,
        what: "a resync with nothing to do",
      });
      projectEntries = await readEntries(projectServer);
      projectSpecs = (await spiffeIds.list()).map(specOf).sort(byPlace);
      // nodes n1, n2 and pods web-0, web-1, api-0; a Service name only from ready addresses
      expect(projectEntries).toHaveLength(5);
      expect(projectSpecs.map((s) => [s.at, s.dnsNames])).toEqual([
        [`${NS}/api-0`, ["api-0"]],
        [`${NS}/web-0`, ["web-0", `websvc.${NS}.svc`]],
        [`${NS}/web-1`, ["web-1", `websvc.${NS}.svc`]],
        [`${REGISTRAR_NS}/n1`, []],
        [`${REGISTRAR_NS}/n2`, []],
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
      const { plane, spiffeIds, core } = env();
      if (!originalServer) throw new Error("peers did not start (see beforeAll)");
      const server = originalServer;
      registrar = await startGoRegistrar({
        mode: "crd",
        server,
        kubeconfigPath: plane.kubeconfigPath,
        namespace: REGISTRAR_NS,
        config: CONFIG,
      });
      stops.push(registrar.stop);
      await deletedPod(server);

      // "Pod entries are removed when the pod is gone or finished (Succeeded/Failed)": the Go registrar
      // gives a finished pod a SpiffeID and an entry.
      const done = await core.readNamespacedPod({ namespace: NS, name: "done-0" });
      const doneUid = done.metadata?.uid ?? "";
      const doneEntry = podEntry({
        spiffeId: `spiffe://${TD}/ns/${NS}/sa/batch`,
        parentId: `${NODE_ROOT}/n1`,
        selectors: [`k8s:node-name:n1`, `k8s:ns:${NS}`, `k8s:pod-uid:${doneUid}`],
        dnsNames: ["done-0"],
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
      expect(originalSpecs.filter((s) => s.at !== `${NS}/done-0`)).toEqual(projectSpecs);
    });
  },
);
