/**
 * Workload lifecycles on a living cluster (kube-controller-manager, kube-scheduler, kwok nodes), in
 * each mode: the functions run in-process with their real dependencies, events come from real
 * watches through the bridge (webhook mode: from kube-apiserver's admission calls), and after each
 * step the real spire-server must hold exactly the entries the cluster's state calls for. Nothing
 * sets a pod's node or status by hand: Deployments, StatefulSets, Jobs, Services, evictions and
 * namespace deletion are made as users make them, and the controllers do the rest.
 *
 * The expected entries are stated here from the README's rules (one table per mode), independently
 * of the planner: IDs from the service account, parents from the node (or the cluster's alias in
 * webhook mode), DNS names from the Services' EndpointSlices.
 */
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  AdmissionregistrationV1Api,
  ApiextensionsV1Api,
  type CoreV1Api,
  DiscoveryV1Api,
  type V1CustomResourceDefinition,
  type V1EndpointSlice,
  type V1Node,
  type V1Pod,
  type V1ValidatingWebhookConfiguration,
} from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { main } from "../../bin/main.js";
import { createApp as createResyncApp } from "../../functions/resync/app.js";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import type { Entry } from "../../lib/planner/entry.js";
import { reconcileContext } from "../../lib/runtime/runtime.js";
import type { SpireClient } from "../../lib/spire/client.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePort } from "./harness/ports.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir } from "./harness/tmp.js";
import { startCrdBridges, startCrdFunctions } from "./support/crd-functions.js";
import { eventually } from "./support/eventually.js";
import { startReconcileFunctions } from "./support/reconcile-functions.js";
import { allEntries } from "./support/spire-entries.js";
import { startWebhookFunction } from "./support/webhook-function.js";
import { type Workloads, workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "life";
const SERVER_ID = `spiffe://${TD}/spire/server`;
const NODES = 4;
const CRD_FILE = new URL("../../knative/base/crd/spiffeid-crd.yaml", import.meta.url);
const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;
const logger = pino({ level: "silent" });
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** An entry as compared here: selectors as sorted `type:value` strings, DNS names in SPIRE's order. */
interface Expected {
  spiffeId: string;
  parentId: string;
  selectors: string[];
  dnsNames: string[];
}

/** What the cluster holds after a step has settled. */
interface ClusterState {
  nodes: V1Node[];
  pods: V1Pod[];
  slices: V1EndpointSlice[];
}

/** A registrar in one mode, running against the cluster and its own spire-server. */
interface Registrar {
  spire: SpireClient;
  /** Runs the resync function once (what the cron trigger does). */
  resync(): Promise<void>;
  stop(): Promise<void>;
}

interface ModeCase {
  mode: "reconcile" | "crd" | "webhook";
  /** Starts the cluster this mode needs (webhook mode: with the admission configuration). */
  start(dir: string, spire: SpireServer): Promise<{ cluster: Cluster; registrar: Registrar }>;
  /**
   * The entries for `state`. `resyncRan`: webhook mode keeps a finished pod's entry until the pod
   * is deleted or a resync runs; the other modes remove it when the pod finishes.
   */
  expected(state: ClusterState, resyncRan: boolean): Expected[];
}

const saId = (pod: V1Pod) =>
  `spiffe://${TD}/ns/${pod.metadata?.namespace}/sa/${pod.spec?.serviceAccountName}`;
const finished = (pod: V1Pod) => pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";
const sel = (...values: string[]) => [...values].sort();

/** The four names a pod's resolver search path reaches for `prefix` in `namespace`. */
const searchPath = (prefix: string, namespace: string) => [
  `${prefix}.${namespace}.svc.cluster.local`,
  `${prefix}.${namespace}.svc`,
  `${prefix}.${namespace}`,
  prefix,
];

/** The EndpointSlice endpoints that target `pod`, with their Service's name. */
function endpointsOf(pod: V1Pod, slices: readonly V1EndpointSlice[]) {
  const found: Array<{ service: string; hostname?: string; ready: boolean }> = [];
  for (const slice of slices) {
    const service = slice.metadata?.labels?.["kubernetes.io/service-name"];
    if (service === undefined || slice.metadata?.namespace !== pod.metadata?.namespace) continue;
    for (const endpoint of slice.endpoints) {
      if (endpoint.targetRef?.kind !== "Pod" || endpoint.targetRef.name !== pod.metadata?.name) continue;
      found.push({ service, hostname: endpoint.hostname, ready: endpoint.conditions?.ready !== false });
    }
  }
  return found;
}

/**
 * Reconcile mode with `add_pod_dns_names`: the pod-IP names, then the sorted names of every Service
 * whose endpoints target the pod (with a hostname, `<hostname>.<svc>`; without, `<ip>.<svc>` and
 * `<pod>.<svc>`), each with its search-path forms.
 */
function reconcileDnsNames(pod: V1Pod, slices: readonly V1EndpointSlice[]): string[] {
  const ip = pod.status?.podIP;
  if (ip === undefined) return [];
  const namespace = pod.metadata?.namespace ?? "";
  const dashed = ip.replaceAll(".", "-");
  const services = new Set<string>();
  for (const { service, hostname } of endpointsOf(pod, slices)) {
    const prefixes = hostname
      ? [service, `${hostname}.${service}`]
      : [service, `${dashed}.${service}`, `${pod.metadata?.name}.${service}`];
    for (const prefix of prefixes) for (const name of searchPath(prefix, namespace)) services.add(name);
  }
  return [`${dashed}.${namespace}.pod.cluster.local`, `${dashed}.${namespace}.pod`, ...[...services].sort()];
}

const reconcileCase: ModeCase = {
  mode: "reconcile",
  async start(dir, spire) {
    const cluster = await startCluster({ nodes: NODES });
    const fns = await startReconcileFunctions({
      dir,
      name: "life-reconcile",
      kubeconfigPath: cluster.kubeconfigPath,
      socketPath: spire.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      config: { add_pod_dns_names: true },
    });
    const bridge = await startBridge({
      client: cluster.kube,
      resources: ["pods", "nodes", "endpointslices"],
      sink: fns.eventsUrl,
      logger,
    });
    return { cluster, registrar: withBridges(fns.spire, fns.resyncUrl, [bridge], fns.stop) };
  },
  expected({ nodes, pods, slices }) {
    const root = `spiffe://${TD}/spire-k8s-registrar/${CLUSTER}/node`;
    return [
      ...nodes.map((node) => ({
        spiffeId: `${root}/${node.metadata?.name}`,
        parentId: SERVER_ID,
        selectors: sel(`k8s_psat:agent_node_name:${node.metadata?.name}`, `k8s_psat:cluster:${CLUSTER}`),
        dnsNames: [],
      })),
      ...pods
        .filter((pod) => !finished(pod))
        .map((pod) => ({
          spiffeId: saId(pod),
          parentId: `${root}/${pod.spec?.nodeName}`,
          selectors: sel(`k8s:ns:${pod.metadata?.namespace}`, `k8s:pod-name:${pod.metadata?.name}`),
          dnsNames: reconcileDnsNames(pod, slices),
        })),
    ];
  },
};

const REGISTRAR_NS = "spire";
const crdCase: ModeCase = {
  mode: "crd",
  async start(dir, spire) {
    const cluster = await startCluster({ nodes: NODES });
    const crd = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
    const extensions = cluster.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({ body: crd });
    await eventually(
      async () => {
        const current = await extensions.readCustomResourceDefinition({ name: crd.metadata?.name ?? "" });
        if (!current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) {
          throw new Error("SpiffeID CRD not Established yet");
        }
      },
      { what: "the SpiffeID CRD to be Established" },
    );
    await workloads(cluster.kubeConfig).createNamespace(REGISTRAR_NS);
    const certDir = join(dir, "serving-certs");
    await mkdir(certDir);
    const serving = await cluster.pki.issueServerCert("spiffeid-webhook", ["127.0.0.1"]);
    await copyFile(serving.certPath, join(certDir, "tls.crt"));
    await copyFile(serving.keyPath, join(certDir, "tls.key"));
    const fns = await startCrdFunctions({
      dir,
      kubeconfigPath: cluster.kubeconfigPath,
      socketPath: spire.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      registrarNamespace: REGISTRAR_NS,
      webhookCertDir: certDir,
      webhookPort: await freePort(),
    });
    const bridges = await startCrdBridges(cluster.kube, fns, logger);
    return { cluster, registrar: withBridges(fns.spire, fns.resyncUrl, bridges, fns.stop) };
  },
  expected({ nodes, pods, slices }) {
    const root = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
    return [
      ...nodes.map((node) => ({
        spiffeId: `${root}/${node.metadata?.name}`,
        parentId: SERVER_ID,
        selectors: sel(`k8s_psat:agent_node_uid:${node.metadata?.uid}`, `k8s_psat:cluster:${CLUSTER}`),
        dnsNames: [],
      })),
      ...pods
        .filter((pod) => !finished(pod))
        .map((pod) => {
          const namespace = pod.metadata?.namespace ?? "";
          const services = endpointsOf(pod, slices)
            .filter((endpoint) => endpoint.ready)
            .map((endpoint) => `${endpoint.service}.${namespace}.svc`);
          return {
            spiffeId: saId(pod),
            parentId: `${root}/${pod.spec?.nodeName}`,
            selectors: sel(
              `k8s:node-name:${pod.spec?.nodeName}`,
              `k8s:ns:${namespace}`,
              `k8s:pod-uid:${pod.metadata?.uid}`,
            ),
            dnsNames: [pod.metadata?.name ?? "", ...[...new Set(services)].sort()],
          };
        }),
    ];
  },
};

const webhookCase: ModeCase = {
  mode: "webhook",
  async start(dir, spire) {
    const port = await freePort();
    const out = join(dir, "out");
    const printed = await cli([
      "generate-config",
      "--webhook-url",
      `https://127.0.0.1:${port}/validate`,
      "--failure-policy",
      "Fail",
      "--timeout-seconds",
      "10",
      "--out-dir",
      out,
    ]);
    const cluster = await startCluster({
      nodes: NODES,
      admissionConfig: { file: join(out, "admission-configuration.yaml") },
    });
    const admission = await startWebhookFunction({
      dir,
      name: "pod-admission",
      socketPath: spire.socketPath,
      serving: { certPath: join(out, "cert.pem"), keyPath: join(out, "key.pem") },
      caCertPath: join(out, "cacert.pem"),
      config: { trust_domain: TD, cluster: CLUSTER },
      port,
      kubeconfigPath: cluster.kubeconfigPath,
    });
    const { runtime } = admission;
    const configuration = parseAllDocuments(printed)
      .map((document) => document.toJS())
      .find(
        (document) => document.kind === "ValidatingWebhookConfiguration",
      ) as V1ValidatingWebhookConfiguration;
    await cluster.kubeConfig
      .makeApiClient(AdmissionregistrationV1Api)
      .createValidatingWebhookConfiguration({ body: configuration });
    const resync = createResyncApp({
      reconcile: reconcileContext(runtime),
      logger,
      readiness: async () => ({ ready: true }),
      now: Date.now,
    });
    return {
      cluster,
      registrar: {
        spire: runtime.spire,
        async resync() {
          const response = await resync.request("/", { method: "POST" });
          expect(response.status).toBe(200);
        },
        stop: admission.stop,
      },
    };
  },
  expected({ pods }, resyncRan) {
    const alias = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
    return [
      { spiffeId: alias, parentId: SERVER_ID, selectors: [`k8s_psat:cluster:${CLUSTER}`], dnsNames: [] },
      ...pods
        .filter((pod) => !(resyncRan && finished(pod)))
        .map((pod) => ({
          spiffeId: saId(pod),
          parentId: alias,
          selectors: sel(`k8s:ns:${pod.metadata?.namespace}`, `k8s:pod-name:${pod.metadata?.name}`),
          dnsNames: [],
        })),
    ];
  },
};

/** A registrar whose events come through bridges, with a resync function at `resyncUrl`. */
function withBridges(
  spire: SpireClient,
  resyncUrl: string,
  bridges: Bridge[],
  stopFunctions: () => Promise<void>,
): Registrar {
  return {
    spire,
    async resync() {
      const response = await fetch(resyncUrl, { method: "POST" });
      expect(response.status).toBe(200);
    },
    async stop() {
      for (const bridge of bridges) await bridge.stop().catch(() => undefined);
      await stopFunctions();
    },
  };
}

async function cli(args: string[]): Promise<string> {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
    env: {},
  });
  if (code !== 0) throw new Error(`registrar ${args[0]} failed (${code}): ${stderr}`);
  return stdout;
}

async function readState(cluster: Cluster, core: CoreV1Api): Promise<ClusterState> {
  const discovery = cluster.kubeConfig.makeApiClient(DiscoveryV1Api);
  const [nodes, pods, slices] = await Promise.all([
    core.listNode(),
    core.listPodForAllNamespaces(),
    discovery.listEndpointSliceForAllNamespaces(),
  ]);
  const terminating = pods.items.filter((pod) => pod.metadata?.deletionTimestamp);
  if (terminating.length > 0) throw new Error(`${terminating.length} pods still terminating`);
  return { nodes: nodes.items, pods: pods.items, slices: slices.items };
}

function normalize(entries: readonly Entry[]): Expected[] {
  return sortExpected(
    entries.map((e) => ({
      spiffeId: e.spiffeId,
      parentId: e.parentId,
      selectors: sel(...e.selectors.map((s) => `${s.type}:${s.value}`)),
      dnsNames: [...e.dnsNames],
    })),
  );
}

function sortExpected(entries: Expected[]): Expected[] {
  const key = (e: Expected) => `${e.spiffeId} ${e.parentId} ${e.selectors.join(",")}`;
  return entries.sort((a, b) => key(a).localeCompare(key(b)));
}

describe.skipIf(skipWithoutPeers(PEERS))("workload lifecycles on a living cluster", () => {
  for (const modeCase of [reconcileCase, crdCase, webhookCase]) {
    describe(`${modeCase.mode} mode`, () => {
      let cluster: Cluster | undefined;
      let spire: SpireServer | undefined;
      let registrar: Registrar | undefined;
      let removeDir: () => Promise<void> = async () => undefined;
      const env = () => {
        if (!cluster || !registrar) throw new Error("peers did not start (see beforeAll)");
        return { cluster, registrar, w: workloads(cluster.kubeConfig) as Workloads };
      };

      let resyncRan = false;
      /**
       * Waits until SPIRE holds exactly the entries the cluster's current state calls for; with
       * `afterResync`, once the resync function has run (what its cron trigger does).
       */
      const converged = async (options: { afterResync?: boolean } = {}) => {
        const { cluster, registrar, w } = env();
        if (options.afterResync) {
          await registrar.resync();
          resyncRan = true;
        }
        await eventually(
          async () => {
            const state = await readState(cluster, w.core);
            const want = sortExpected(modeCase.expected(state, resyncRan));
            expect(normalize(await allEntries(registrar.spire))).toEqual(want);
          },
          {
            what: `SPIRE's entries to match the cluster (${modeCase.mode} mode)`,
            timeoutMs: 30_000,
            intervalMs: 250,
          },
        );
      };

      beforeAll(async () => {
        const run = await makeRunDir(`life-${modeCase.mode}`, log);
        removeDir = run.remove;
        spire = await startSpireServer({ trustDomain: TD });
        ({ cluster, registrar } = await modeCase.start(run.path, spire));
        // Like an ApiServerSource, the bridges send nothing for objects that exist when they start
        // (the kwok nodes): the first resync covers those, as in a new deployment.
        await registrar.resync();
      }, 180_000);
      beforeEach(({ onTestFailed }) => {
        onTestFailed(printPeerLogs);
      });
      afterAll(async () => {
        await registrar?.stop();
        await cluster?.stop();
        await spire?.stop();
        await removeDir();
      });

      it("follows a Deployment scaled up and down", async () => {
        const { w } = env();
        await w.createNamespace("apps");
        await w.createServiceAccount("apps", "web");
        await w.createDeployment("apps", "web", 3, { labels: { app: "web" }, serviceAccount: "web" });
        await converged();
        await w.scaleDeployment("apps", "web", 6);
        await converged();
        await w.scaleDeployment("apps", "web", 2);
        await converged();
      });

      it("follows a rolling update that changes the pods' service account", async () => {
        const { w } = env();
        await w.createServiceAccount("apps", "web-v2");
        const pods = await w.setDeploymentServiceAccount("apps", "web", "web-v2");
        expect(pods.map((pod) => pod.spec?.serviceAccountName)).toEqual(["web-v2", "web-v2"]);
        await converged();
      });

      it("gives a Service's DNS names to the pods its EndpointSlices list, and takes them away", async () => {
        const { w } = env();
        await w.createService("apps", "websvc", { app: "web" });
        const pods = await w.runningPods("apps", { app: "web" }, 2);
        await w.serviceTargets(
          "apps",
          "websvc",
          pods.map((pod) => pod.metadata?.name ?? ""),
        );
        await converged();

        // Relabelled out of the Service (and so out of the Deployment, which replaces it).
        const leaving = pods[0]?.metadata?.name ?? "";
        await w.labelPod("apps", leaving, { app: "retired" });
        const staying = await w.runningPods("apps", { app: "web" }, 2);
        await w.serviceTargets(
          "apps",
          "websvc",
          staying.map((pod) => pod.metadata?.name ?? ""),
        );
        await converged();
      });

      it("moves a StatefulSet pod recreated under the same name on another node", async () => {
        const { w } = env();
        await w.createNamespace("stateful");
        const [first] = await w.createStatefulSet("stateful", "db", 2, { labels: { app: "db" } });
        await converged();
        const oldNode = first?.spec?.nodeName ?? "";
        await w.setUnschedulable(oldNode, true);
        await w.deletePod("stateful", "db-0");
        const recreated = await w.runningPods("stateful", { app: "db" }, 2);
        const db0 = recreated.find((pod) => pod.metadata?.name === "db-0");
        expect(db0?.spec?.nodeName).not.toBe(oldNode);
        expect(db0?.metadata?.uid).not.toBe(first?.metadata?.uid);
        await w.setUnschedulable(oldNode, false);
        await converged();
      });

      it("drops the entries of a Job's pods once they finish", async () => {
        const { w } = env();
        await w.createNamespace("batch");
        await w.runJob("batch", "once", 2, { labels: { job: "once" } });
        await converged();
        if (modeCase.mode === "webhook") await converged({ afterResync: true });
      });

      it("removes everything of a deleted namespace", async () => {
        const { w } = env();
        await w.deleteNamespace("stateful");
        await converged({ afterResync: modeCase.mode === "webhook" });
      });

      it("follows a node drained and deleted", async () => {
        const { cluster, w } = env();
        await w.createNamespace("spread");
        await w.createDeployment("spread", "many", 8, { labels: { app: "many" } });
        const drained = cluster.nodeNames[0] ?? "";
        await w.drainNode(drained);
        await w.runningPods("spread", { app: "many" }, 8);
        await w.deleteNode(drained);
        await converged({ afterResync: modeCase.mode === "webhook" });
      });
    });
  }
});
