/**
 * A living cluster on loopback: etcd + kube-apiserver (startControlPlane) with
 * kube-controller-manager, kube-scheduler and kwok's simulated kubelets. Workloads are created as
 * users create them (Deployments, StatefulSets, Jobs, Services); the scheduler binds pods to the
 * kwok nodes, kwok starts them (Running, Ready, a pod IP) and finishes graceful deletions, and the
 * controllers do the rest (ReplicaSets, EndpointSlices, garbage collection, namespace deletion,
 * the "default" ServiceAccount of every namespace).
 */
import { writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { CoreV1Api, type V1Node } from "@kubernetes/client-node";
import { applyCrds } from "./crds.js";
import { type ControlPlane, type ControlPlaneOptions, startControlPlane } from "./kube.js";
import { KWOK_STAGES_YAML } from "./kwok-stages.js";
import { elapsedMs, stderrLog } from "./log.js";
import { peerBinary } from "./peers.js";
import { freePorts } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";

/** The annotation kwok is told to manage nodes by. */
const KWOK_NODE_ANNOTATION = "kwok.x-k8s.io/node";
/** Pod IPs come from here (kube-apiserver's service range is 10.0.0.0/24): room for 1M pods. */
const POD_CIDR = "10.64.0.0/12";
/** The components' client rate limits: high enough that the benchmarks measure the registrar. */
const CLIENT_QPS = ["--kube-api-qps=5000", "--kube-api-burst=10000"];
const COMPONENT_READY_TIMEOUT_MS = 60_000;
const NODE_CREATE_CONCURRENCY = 32;
const NODE_LEASE_SECONDS = 40;

/** The peers `startCluster` runs, for a test file's `skipWithoutPeers` (add what else it needs). */
export const CLUSTER_PEERS = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
] as const;

export interface ClusterOptions extends Omit<ControlPlaneOptions, "serviceAccountAdmission"> {
  /** How many kwok nodes to register (`kwok-node-0` ...); each reports Ready before the start returns. */
  nodes: number;
  /**
   * Seconds of each kwok node's Lease (default 40; kwok renews it every quarter of that, so 1,000
   * nodes cost 100 Lease writes a second). 0: no Leases, and kube-controller-manager's node
   * lifecycle controller (which lifts the not-ready taint of new nodes) waits 24 h instead of 50 s
   * for a heartbeat before it marks a node unreachable, taints it and evicts its pods: nothing renews
   * one then.
   */
  nodeLeaseSeconds?: number;
  /** kwok workers playing pod stages at once (starting pods, finishing deletions); kwok's default is 4. */
  podStageParallelism?: number;
  /**
   * CRD files (applyCrds) to install before the controllers start, as in a cluster that has had
   * them for a while: the garbage collector then follows their objects' ownerReferences from the
   * start, instead of after its next discovery, up to 30 s after a CRD appears.
   */
  crds?: readonly string[];
}

export interface Cluster extends ControlPlane {
  /** The kwok nodes' names, in creation order. */
  nodeNames: readonly string[];
  pids: ControlPlane["pids"] & { controllerManager: number; scheduler: number; kwok: number };
}

/**
 * Starts the control plane (with `opts.crds` installed), then kube-controller-manager,
 * kube-scheduler and kwok, registers `opts.nodes` nodes and waits until every component is
 * healthy, the "default" namespace has its ServiceAccount and every node is Ready. Everything
 * started is stopped if a step fails; `stop()` stops kwok, the scheduler and the
 * controller-manager, then the control plane.
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  const log = opts.log ?? stderrLog;
  const plane = await startControlPlane({ ...opts, serviceAccountAdmission: true });
  const started: PeerProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const peer of [...started].reverse()) await peer.stop();
    await plane.stop();
  };
  try {
    if (opts.crds?.length) await applyCrds(plane.kubeConfig, opts.crds, log);
    const [managerPort, schedulerPort] = await freePorts(2);
    if (managerPort === undefined || schedulerPort === undefined)
      throw new Error("freePorts(2) returned fewer ports");
    const kubeconfig = `--kubeconfig=${plane.kubeconfigPath}`;
    const leaseSeconds = opts.nodeLeaseSeconds ?? NODE_LEASE_SECONDS;
    const stages = join(plane.runDir, "kwok-stages.yaml");
    await writeFile(stages, KWOK_STAGES_YAML);
    const kwokConfigs = [stages];
    if (opts.podStageParallelism !== undefined) {
      // A KwokConfiguration leaves kwok without the defaults of the options it omits: the other
      // workers' counts are kwok's defaults, given again.
      kwokConfigs.push(
        await writeKwokOptions(plane.runDir, {
          podPlayStageParallelism: opts.podStageParallelism,
          nodePlayStageParallelism: 4,
          nodeLeaseParallelism: 4,
          podsOnNodeSyncParallelism: 1,
        }),
      );
    }
    const componentStart = performance.now();

    const controllerManager = spawnPeer({
      name: "kube-controller-manager",
      command: peerBinary("kube-controller-manager"),
      logPath: join(plane.runDir, "kube-controller-manager.log"),
      args: [
        kubeconfig,
        "--bind-address=127.0.0.1",
        `--secure-port=${managerPort}`,
        "--leader-elect=false",
        "--use-service-account-credentials=false",
        `--root-ca-file=${plane.pki.ca.certPath}`,
        `--service-account-private-key-file=${plane.pki.serviceAccount.privateKeyPath}`,
        "--concurrent-deployment-syncs=20",
        "--concurrent-replicaset-syncs=20",
        "--concurrent-endpoint-syncs=20",
        "--concurrent-service-endpoint-syncs=20",
        "--concurrent-gc-syncs=50",
        "--concurrent-namespace-syncs=20",
        ...(leaseSeconds === 0 ? ["--node-monitor-grace-period=24h"] : []),
        ...CLIENT_QPS,
      ],
    });
    started.push(controllerManager);
    const scheduler = spawnPeer({
      name: "kube-scheduler",
      command: peerBinary("kube-scheduler"),
      logPath: join(plane.runDir, "kube-scheduler.log"),
      args: [
        kubeconfig,
        "--bind-address=127.0.0.1",
        `--secure-port=${schedulerPort}`,
        "--leader-elect=false",
        ...CLIENT_QPS,
      ],
    });
    started.push(scheduler);
    const kwok = spawnPeer({
      name: "kwok",
      command: peerBinary("kwok"),
      logPath: join(plane.runDir, "kwok.log"),
      args: [
        kubeconfig,
        ...kwokConfigs.map((path) => `--config=${path}`),
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
        `--cidr=${POD_CIDR}`,
        "--node-ip=10.32.0.1",
        `--node-lease-duration-seconds=${leaseSeconds}`,
      ],
    });
    started.push(kwok);

    for (const [peer, port] of [
      [controllerManager, managerPort],
      [scheduler, schedulerPort],
    ] as const) {
      await waitUntil(() => healthzOk(port), {
        what: `${peer.name} /healthz`,
        timeoutMs: COMPONENT_READY_TIMEOUT_MS,
        intervalMs: 250,
        peer,
      });
    }
    const core = plane.kubeConfig.makeApiClient(CoreV1Api);
    await waitUntil(() => hasDefaultServiceAccount(core, "default"), {
      what: 'the "default" ServiceAccount (kube-controller-manager\'s serviceaccount controller)',
      timeoutMs: COMPONENT_READY_TIMEOUT_MS,
      peer: controllerManager,
    });
    log(`kube-controller-manager, kube-scheduler and kwok ready in ${elapsedMs(componentStart)} ms`);

    const nodeStart = performance.now();
    const nodeNames = Array.from({ length: opts.nodes }, (_, i) => `kwok-node-${i}`);
    await forEachLimited(nodeNames, NODE_CREATE_CONCURRENCY, (name) =>
      core.createNode({ body: kwokNode(name) }),
    );
    await waitUntil(async () => (await readyNodeCount(core)) >= opts.nodes, {
      what: `${opts.nodes} kwok nodes Ready`,
      timeoutMs: COMPONENT_READY_TIMEOUT_MS + opts.nodes * 50,
      intervalMs: 500,
      peer: kwok,
    });
    log(`${opts.nodes} kwok nodes Ready in ${elapsedMs(nodeStart)} ms`);

    let stopped: Promise<void> | undefined;
    return {
      ...plane,
      nodeNames,
      pids: {
        ...plane.pids,
        controllerManager: controllerManager.pid,
        scheduler: scheduler.pid,
        kwok: kwok.pid,
      },
      stop: () => {
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A KwokConfiguration file with `options` (kwok reads it beside the stages; flags still win). */
async function writeKwokOptions(dir: string, options: Record<string, unknown>): Promise<string> {
  const path = join(dir, "kwok-options.json");
  const configuration = { apiVersion: "config.kwok.x-k8s.io/v1alpha1", kind: "KwokConfiguration", options };
  await writeFile(path, `${JSON.stringify(configuration, null, 2)}\n`);
  return path;
}

/** A node for kwok to manage, as a kubelet would register it (its status is kwok's job). */
export function kwokNode(name: string): V1Node {
  return {
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: "fake" },
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", type: "kwok" },
    },
  };
}

/**
 * Waits until namespace `name` has its "default" ServiceAccount: with the ServiceAccount admission
 * plugin on, a pod created before that is refused (a real cluster's behaviour, which controllers
 * ride out by retrying; a test creating pods itself waits instead).
 */
export async function waitForDefaultServiceAccount(core: CoreV1Api, namespace: string): Promise<void> {
  await waitUntil(() => hasDefaultServiceAccount(core, namespace), {
    what: `the "default" ServiceAccount of namespace ${namespace}`,
    timeoutMs: COMPONENT_READY_TIMEOUT_MS,
  });
}

async function hasDefaultServiceAccount(core: CoreV1Api, namespace: string): Promise<boolean> {
  const accounts = await core.listNamespacedServiceAccount({
    namespace,
    fieldSelector: "metadata.name=default",
  });
  return accounts.items.length > 0;
}

async function readyNodeCount(core: CoreV1Api): Promise<number> {
  const nodes = await core.listNode({ labelSelector: "type=kwok" });
  return nodes.items.filter((node) =>
    node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * GET /healthz of a component's secure port. The components serve it with a self-signed
 * certificate and always allow the path, so the probe skips verification (loopback, health only).
 */
function healthzOk(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: 5_000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`127.0.0.1:${port}/healthz: no answer within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}
