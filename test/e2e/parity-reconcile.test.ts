/**
 * Reconcile-mode parity with the Go registrar v1.5.6: for each identity configuration (service
 * account with pod DNS names, pod_label, pod_annotation), the project's functions (k8s-events fed by
 * the event bridge, and resync) and k8s-workload-registrar v1.5.6 run on the same kube-apiserver,
 * each with its own fresh spire-server and the same configuration (only socket, metrics and log
 * paths differ). One table of cluster objects is created; once both have converged, their entries
 * (SPIFFE ID, parent, selectors, DNS names, TTL, admin, downstream, federation) must be equal, or
 * differ by exactly the README "Deliberate differences" items named below.
 */
import { CoreV1Api } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import { readEntries } from "./harness/entries.js";
import { type GoRegistrar, startGoRegistrar } from "./harness/go-registrar.js";
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { type ComparableEntry, diffEntries, type EntryDiff, podEntry } from "./support/entry-diff.js";
import { eventually } from "./support/eventually.js";
import { kubeObjects } from "./support/kube-objects.js";
import { type ReconcileFunctions, startReconcileFunctions } from "./support/reconcile-functions.js";

const TD = "example.org";
const CLUSTER = "parity";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/${CLUSTER}/node`;
const NS = "par-app";
const ID_NS = "par-id";
const CONVERGE_MS = 60_000;
const logger = pino({ level: "silent" });
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

interface Variant {
  title: string;
  config: Record<string, unknown>;
  /** The project's pod entries once converged: pod name -> SPIFFE ID path. */
  pods: Record<string, string>;
  /** What README's "Deliberate differences" make differ once both have converged. */
  expected: EntryDiff;
}

/** A pod entry of reconcile mode, parented to its node's entry. */
const podOn = (node: string, namespace: string, name: string, spiffeId: string): ComparableEntry =>
  podEntry({
    spiffeId: `spiffe://${TD}/${spiffeId}`,
    parentId: `${ROOT}/${node}`,
    selectors: [`k8s:ns:${namespace}`, `k8s:pod-name:${name}`],
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
    // keeps the entry of a finished pod until the pod object is deleted.
    expected: { onlyInProject: [], onlyInOriginal: [podOn("n1", NS, "done-0", `ns/${NS}/sa/batch`)] },
  },
  {
    title: "pod_label IDs",
    config: { add_pod_dns_names: false, pod_label: "spiffe-id" },
    pods: { "lab-0": "billing" },
    expected: { onlyInProject: [], onlyInOriginal: [] },
  },
  {
    title: "pod_annotation IDs",
    config: { add_pod_dns_names: false, pod_annotation: "spiffe.io/spiffe-id" },
    pods: { "ann-0": "worker-1", "ann-multi": "team-c/worker" },
    // "a label or annotation value with `/` is a multi-segment path ... in every mode": v1.5.6's
    // reconcile mode refuses it (and retries the pod forever).
    expected: { onlyInProject: [podOn("n2", ID_NS, "ann-multi", "team-c/worker")], onlyInOriginal: [] },
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

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server", "k8s-workload-registrar"]))(
  "reconcile mode: parity with the Go registrar v1.5.6",
  () => {
    let run: RunDir | undefined;
    let plane: ControlPlane | undefined;
    const pairs: Pair[] = [];
    const stops: Array<() => Promise<void>> = [];

    const env = () => {
      if (!plane || pairs.length !== VARIANTS.length) throw new Error("peers did not start (see beforeAll)");
      return { plane, k: kubeObjects(plane.kubeConfig), core: plane.kubeConfig.makeApiClient(CoreV1Api) };
    };

    /** Runs the project's resync (its state is then final), then waits for the Go registrar to match. */
    const converged = async (pair: Pair, expected: EntryDiff) => {
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
      plane = await startControlPlane();
      stops.push(plane.stop);
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
          kubeconfigPath: plane.kubeconfigPath,
          socketPath: projectServer.socketPath,
          trustDomain: TD,
          cluster: CLUSTER,
          config,
        });
        stops.push(fns.stop);
        const bridge = await startBridge({
          client: plane.kube,
          resources: ["pods", "nodes", "endpointslices"],
          sink: fns.eventsUrl,
          logger,
        });
        stops.push(bridge.stop);
        const registrar = await startGoRegistrar({
          mode: "reconcile",
          server: originalServer,
          kubeconfigPath: plane.kubeconfigPath,
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
      // bridges and functions first, then the registrars, the SPIRE servers and the API server
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
      await run?.remove();
    });

    it("builds the table of cluster objects", async () => {
      const { k, core } = env();
      await k.createNode("n1");
      await k.createNode("n2");
      await k.createNamespace(NS);
      await k.createNamespace(ID_NS);
      // service-account identities; DNS names from the pod IP and from Services' endpoints (ready,
      // not ready, with and without a hostname), as Endpoints for the Go registrar and as
      // EndpointSlices for the project
      await k.createPod({ namespace: NS, name: "web-0", node: "n1", serviceAccount: "web" });
      await k.createPod({ namespace: NS, name: "web-1", node: "n2", serviceAccount: "web" });
      await k.createPod({ namespace: NS, name: "api-0", node: "n2", serviceAccount: "api" });
      await k.setPodIp(NS, "web-0", "10.1.0.5");
      await k.setPodIp(NS, "web-1", "10.1.0.6");
      await k.createEndpointsAndSlice(NS, "websvc", [
        { pod: "web-0", ip: "10.1.0.5" },
        { pod: "web-1", ip: "10.1.0.6", hostname: "web-1" },
      ]);
      await k.createEndpointsAndSlice(NS, "webhead", [{ pod: "web-0", ip: "10.1.0.5", ready: false }]);
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
      // label and annotation identities (one segment; several segments)
      await k.createPod({ namespace: ID_NS, name: "lab-0", node: "n1", labels: { "spiffe-id": "billing" } });
      await k.createPod({
        namespace: ID_NS,
        name: "ann-0",
        node: "n1",
        annotations: { "spiffe.io/spiffe-id": "worker-1" },
      });
      await k.createPod({
        namespace: ID_NS,
        name: "ann-multi",
        node: "n2",
        annotations: { "spiffe.io/spiffe-id": "team-c/worker" },
      });
    });

    it.each(VARIANTS)("converges to the Go registrar's entries: $title", async (variant) => {
      const pair = pairs.find((p) => p.variant === variant);
      if (!pair) throw new Error("peers did not start (see beforeAll)");
      await converged(pair, variant.expected);
      // what they agree on: the node entries, and the pods of the table this mode registers
      const entries = await readEntries(pair.projectServer);
      expect(
        entries.filter((e) => e.parentId === `spiffe://${TD}/spire/server`).map((e) => e.spiffeId),
      ).toEqual([`${ROOT}/n1`, `${ROOT}/n2`]);
      const pods = entries
        .filter((e) => e.parentId.startsWith(`${ROOT}/`))
        .map((e) => [podName(e.selectors), e.spiffeId.replace(`spiffe://${TD}/`, "")]);
      expect(Object.fromEntries(pods)).toEqual(variant.pods);
      if (variant.config.add_pod_dns_names) {
        const web0 = entries.find((e) => podName(e.selectors) === "web-0");
        expect(web0?.dnsNames).toEqual(
          expect.arrayContaining([
            `10-1-0-5.${NS}.pod.cluster.local`,
            `websvc.${NS}.svc.cluster.local`,
            `web-0.websvc.${NS}.svc`,
            `webhead.${NS}`,
          ]),
        );
        const web1 = entries.find((e) => podName(e.selectors) === "web-1");
        expect(web1?.dnsNames).toContain(`web-1.websvc.${NS}.svc.cluster.local`);
      }
    });

    it("removes a deleted pod's entry like the Go registrar", async () => {
      const { k } = env();
      await k.createPod({
        namespace: ID_NS,
        name: "gone-0",
        node: "n1",
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
      await k.deletePod(ID_NS, "gone-0");
      for (const pair of pairs) {
        await converged(pair, pair.variant.expected);
        expect((await readEntries(pair.projectServer)).filter(gone)).toEqual([]);
      }
    });
  },
);
