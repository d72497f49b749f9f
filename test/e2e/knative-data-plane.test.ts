/**
 * The reconcile-mode functions behind Knative's real data plane, on the living cluster (startCluster:
 * kube-apiserver with kube-controller-manager, kube-scheduler and kwok's simulated kubelet, one node)
 * and a real spire-server. Pods are made as users make them (support/workloads.ts): the scheduler
 * binds them and kwok runs them, so each pod's events are several (created, scheduled, started).
 * Each function runs as the image runs it (its bundle, a process of its own, configured
 * like the Knative overlay: `event_ack = "accepted"`, `leader_election`) behind a real queue-proxy
 * set up from its Knative Service in knative/ (containerConcurrency, timeoutSeconds, readinessProbe).
 * Events reach k8s-events only through queue-proxy's port; the resync is driven by Knative's real
 * PingSource adapter (mtping). queue-proxy binds fixed ports, so one runs at a time: k8s-events'
 * until its pod "terminates", then resync's.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join, resolve } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import { toCloudEvent } from "../../lib/bridge/to-cloudevent.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { readEntries } from "./harness/entries.js";
import { type PingSourceAdapter, startPingSourceAdapter } from "./harness/mtping.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import {
  type ContainerProbe,
  QUEUE_DRAIN_QUIET_MS,
  type QueueProxy,
  startQueueProxy,
} from "./harness/queue-proxy.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { eventually } from "./support/eventually.js";
import {
  connectionsWithUnreadData,
  type FunctionProcess,
  logRecords,
  startFunctionProcess,
} from "./support/function-process.js";
import { workloads } from "./support/workloads.js";

const PEERS = [...CLUSTER_PEERS, "spire-server", "queue-proxy", "mtping"] as const;
const TD = "example.org";
const CLUSTER = "e2e";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/${CLUSTER}/node`;
/** The functions' namespace, as in knative/ (their Lease, the PingSource). */
const NAMESPACE = "spire";
/** The tests' pods' namespaces; every pod runs as service account "web". */
const POD_NAMESPACES = ["qp-events", "qp-free", "qp-one", "qp-drain", "qp-ping"] as const;
const REPO = resolve(import.meta.dirname, "../..");
const logger = pino({ level: "silent" });

/** What queue-proxy is told about a function: its Knative Service's settings. */
interface ServiceSettings {
  readonly service: string;
  readonly containerConcurrency: number;
  readonly timeoutSeconds: number;
  readonly readinessProbe: ContainerProbe;
}

/** A kind's first document in a manifest of knative/. */
async function manifestObject(file: string, kind: string): Promise<Record<string, unknown>> {
  for (const document of parseAllDocuments(await readFile(join(REPO, "knative", file), "utf8"))) {
    const object = document.toJS() as Record<string, unknown> | null;
    if (object?.kind === kind) return object;
  }
  throw new Error(`no ${kind} in knative/${file}`);
}

async function serviceSettings(file: string): Promise<ServiceSettings> {
  const service = (await manifestObject(file, "Service")) as {
    metadata: { name: string };
    spec: {
      template: {
        spec: {
          containerConcurrency: number;
          timeoutSeconds: number;
          containers: Array<{ readinessProbe: ContainerProbe }>;
        };
      };
    };
  };
  const spec = service.spec.template.spec;
  const probe = spec.containers[0]?.readinessProbe;
  if (!probe) throw new Error(`knative/${file}: the container has no readinessProbe`);
  return {
    service: service.metadata.name,
    containerConcurrency: spec.containerConcurrency,
    timeoutSeconds: spec.timeoutSeconds,
    readinessProbe: probe,
  };
}

/** One POST on a connection of its own (so concurrent ones are concurrent on the wire). */
function post(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolvePost, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolvePost({ status: res.statusCode ?? 0, body: text }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe.skipIf(skipWithoutPeers(PEERS))(
  "the functions behind Knative's data plane (queue-proxy, mtping)",
  () => {
    let plane: Cluster | undefined;
    let spire: SpireServer | undefined;
    let events: FunctionProcess | undefined;
    let eventsQueue: QueueProxy | undefined;
    let resync: FunctionProcess | undefined;
    let resyncQueue: QueueProxy | undefined;
    let pinger: PingSourceAdapter | undefined;
    let bridge: Bridge | undefined;
    let dir = "";
    let eventsSettings: ServiceSettings;
    let resyncSettings: ServiceSettings;

    const live = () => {
      if (!plane || !spire || !events || !eventsQueue) throw new Error("peers did not start (see beforeAll)");
      const [node = ""] = plane.nodeNames;
      return { plane, spire, events, eventsQueue, w: workloads(plane.kubeConfig), node };
    };

    /** The functions' configuration: the Knative reconcile overlay's keys, SPIRE over its admin socket. */
    const writeConfig = async (name: string): Promise<string> => {
      const path = join(dir, `${name}.conf.json`);
      const config = {
        mode: "reconcile",
        trust_domain: TD,
        cluster: CLUSTER,
        log_level: "info",
        log_path: join(dir, `${name}.log`),
        // Through a link that the readiness test creates: until then SPIRE is not reachable.
        server_socket_path: join(dir, "spire.sock"),
        leader_election: true,
        controller_name: "spire-k8s-registrar",
        add_pod_dns_names: false,
        event_ack: "accepted",
      };
      await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
      return path;
    };

    /** Replaces k8s-events' queue-proxy (same user port) with one of other settings. */
    const requeue = async (containerConcurrency: number) => {
      const { events } = live();
      await eventsQueue?.stop();
      eventsQueue = await startQueueProxy({
        ...eventsSettings,
        containerConcurrency,
        namespace: NAMESPACE,
        userPort: events.port,
      });
      return eventsQueue;
    };

    /** The ApiServerSource event (Reference mode) for a pod. */
    const podEvent = (namespace: string, name: string) =>
      toCloudEvent(
        "update",
        { apiVersion: "v1", kind: "Pod", metadata: { namespace, name } },
        { mode: "Reference", source: live().plane.server, id: randomUUID() },
      );

    /** The names of `namespace`'s pods that have their registrar entry in SPIRE. */
    const registeredPods = async (namespace: string): Promise<string[]> => {
      const names: string[] = [];
      for (const entry of await readEntries(live().spire)) {
        if (!entry.selectors.includes(`k8s:ns:${namespace}`) || !entry.parentId.startsWith(`${ROOT}/`))
          continue;
        const pod = entry.selectors.find((s) => s.startsWith("k8s:pod-name:"));
        if (pod) names.push(pod.slice("k8s:pod-name:".length));
      }
      return names.sort();
    };

    /** Creates the pods at once; returns once every one is scheduled and Running with an IP. */
    const runPods = async (namespace: string, names: readonly string[]) => {
      const { w } = live();
      await Promise.all(names.map((name) => w.runPod(namespace, name, { serviceAccount: "web" })));
    };

    /** The bridge's deliveries that the function did not answer 202, as [name, status]. */
    const notAccepted = (bridge: Bridge) =>
      bridge.delivered.filter((d) => d.status !== 202).map((d) => [d.event.headers["ce-name"], d.status]);

    /** The names of the objects the bridge delivered events of, each once, sorted. */
    const deliveredNames = (bridge: Bridge) =>
      [...new Set(bridge.delivered.map((d) => d.event.headers["ce-name"]))].sort();

    beforeAll(async () => {
      dir = await mkdtemp("/tmp/e2e-knqp-");
      [eventsSettings, resyncSettings] = await Promise.all([
        serviceSettings("components/k8s-events/k8s-events.yaml"),
        serviceSettings("base/resync.yaml"),
      ]);
      [plane, spire] = await Promise.all([startCluster({ nodes: 1 }), startSpireServer({ trustDomain: TD })]);
      const w = workloads(plane.kubeConfig);
      await Promise.all([NAMESPACE, ...POD_NAMESPACES].map((ns) => w.createNamespace(ns)));
      // ServiceAccount admission refuses a pod whose service account does not exist.
      await Promise.all(POD_NAMESPACES.map((ns) => w.createServiceAccount(ns, "web")));
      events = await startFunctionProcess({
        name: "k8s-events",
        dir,
        configPath: await writeConfig("k8s-events"),
        kubeconfigPath: plane.kubeconfigPath,
      });
      eventsQueue = await startQueueProxy({ ...eventsSettings, namespace: NAMESPACE, userPort: events.port });
    });

    beforeEach(({ onTestFailed }) => {
      onTestFailed(printPeerLogs);
      onTestFailed(() => {
        process.stderr.write(`[e2e] functions' configs and logs are in ${dir}\n`);
      });
    });

    afterAll(async () => {
      await bridge?.stop();
      await pinger?.stop();
      for (const peer of [resyncQueue, resync, eventsQueue, events]) await peer?.stop();
      await spire?.stop();
      await plane?.stop();
      if (dir && process.env.E2E_KEEP !== "1") await rm(dir, { recursive: true, force: true });
    });

    it("queue-proxy answers the kubelet's and the activator's readiness probes ready only once k8s-events reaches SPIRE", async () => {
      const { spire, events, eventsQueue } = live();
      const own = await fetch(`http://127.0.0.1:${events.port}/readyz`);
      expect(own.status).toBe(503);
      expect(await own.text()).toMatch(/^not ready: /);
      // queue-proxy probes the function's /readyz (knative/'s readinessProbe) for 10 s before it answers.
      expect(await eventsQueue.probe("kubelet")).toEqual({ status: 503, body: "" });

      await symlink(spire.socketPath, join(dir, "spire.sock"));
      await eventually(
        async () => expect(await eventsQueue.probe("kubelet")).toEqual({ status: 200, body: "queue" }),
        {
          timeoutMs: 60_000,
          what: "queue-proxy's kubelet probe to pass",
        },
      );
      expect(await eventsQueue.probe("activator")).toEqual({ status: 200, body: "queue" });
    });

    it("delivers the bridge's events through queue-proxy's port to k8s-events, whose entries appear in SPIRE", async () => {
      const { plane, spire, eventsQueue, node } = live();
      // The node registered before the bridge started, and nothing changes it any more (kwok's node
      // stage ends once it is Ready; its heartbeat is its Lease): the bridge's first list reports it
      // as an add. (The ApiServerSource adapter sends nothing for it; there the resync creates its entry.)
      bridge = await startBridge({
        client: plane.kube,
        resources: ["pods", "nodes"],
        sink: eventsQueue.url,
        logger,
        initialAdds: true,
      });
      const pods = ["web-0", "web-1", "web-2"];
      await runPods("qp-events", pods);
      await eventually(async () => expect(await registeredPods("qp-events")).toEqual(pods), {
        timeoutMs: 30_000,
        what: "the pods' entries",
      });
      const nodeEntry = await eventually(
        async () => {
          const found = (await readEntries(spire)).find((e) => e.spiffeId === `${ROOT}/${node}`);
          if (!found) throw new Error(`no entry for node ${node}`);
          return found;
        },
        { timeoutMs: 30_000, what: "the node's entry" },
      );
      expect(nodeEntry.selectors).toContain(`k8s_psat:agent_node_name:${node}`);
      await bridge.idle();
      // Every delivery (each pod's: created, scheduled, started) answered 202 by the function
      // through queue-proxy; none refused or lost. Every pod, and the node, among them.
      expect(notAccepted(bridge)).toEqual([]);
      expect(deliveredNames(bridge)).toEqual([...pods, node].sort());
      await bridge.stop();
      bridge = undefined;
    });

    it("without containerConcurrency (0) every request reaches the paused function at once (the measure can see more than one)", async () => {
      const { events } = live();
      const queue = await requeue(0);
      const pods = Array.from({ length: 12 }, (_, i) => `free-${i}`);
      // Running first: the function reads each pod from the API server and registers it on its node.
      await runPods("qp-free", pods);
      events.pause();
      const answers = pods.map((name) => {
        const event = podEvent("qp-free", name);
        return post(queue.url, event.headers, event.body);
      });
      let settled = 0;
      for (const answer of answers) void answer.finally(() => settled++);
      await eventually(async () => expect(connectionsWithUnreadData(events.port)).toBe(12), {
        what: "12 requests at the function",
      });
      expect(settled).toBe(0);
      events.resume();
      expect((await Promise.all(answers)).map((a) => a.status)).toEqual(pods.map(() => 202));
      await eventually(async () => expect(await registeredPods("qp-free")).toEqual([...pods].sort()));
    });

    it("with containerConcurrency 1 one request at a time reaches the function; queue-proxy holds 10 more and refuses the next", async () => {
      const { events } = live();
      const queue = await requeue(1);
      const pods = Array.from({ length: 12 }, (_, i) => `one-${i}`);
      await runPods("qp-one", pods);
      events.pause();
      const answered: Array<{ name: string; status: number; body: string }> = [];
      const sends = pods.map((name) => {
        const event = podEvent("qp-one", name);
        return post(queue.url, event.headers, event.body).then((answer) => {
          answered.push({ name, ...answer });
          return answered.at(-1) as { name: string; status: number; body: string };
        });
      });
      // The twelfth is refused at once: 1 in flight + 10 queued (queue depth 10 x containerConcurrency).
      const first = await eventually(async () => {
        const [answer] = answered;
        if (!answer) throw new Error("no answer: queue-proxy holds every request");
        return answer;
      });
      expect(first).toMatchObject({ status: 503, body: "pending request queue full\n" });
      await eventually(async () => expect(connectionsWithUnreadData(events.port)).toBeGreaterThan(0));
      expect(connectionsWithUnreadData(events.port)).toBe(1);

      events.resume();
      const answers = await Promise.all(sends);
      const refused = answers.filter((a) => a.status !== 202);
      expect(refused).toEqual([first]);
      // A sender retries a 503 (the ApiServerSource adapter does); now there is room.
      const retry = podEvent("qp-one", first.name);
      expect((await post(queue.url, retry.headers, retry.body)).status).toBe(202);
      await eventually(async () => expect(await registeredPods("qp-one")).toEqual([...pods].sort()));
    });

    it("loses no event when the pod terminates as Knative stops it, even with SPIRE down until after the function's SIGTERM", async () => {
      const { plane, spire, events } = live();
      const queue = await requeue(eventsSettings.containerConcurrency);
      expect(await queue.probe("kubelet")).toEqual({ status: 200, body: "queue" });
      bridge = await startBridge({ client: plane.kube, resources: ["pods"], sink: queue.url, logger });
      const inFlight = ["a-0", "a-1", "a-2", "a-3", "a-4"];
      const duringDrain = ["b-0", "b-1", "b-2", "b-3", "b-4"];
      const whileSpireDown = ["c-0", "c-1", "c-2", "c-3", "c-4"];

      // Deliveries in flight through queue-proxy, held at the (paused) function, none answered: each
      // pod's events are several (created, scheduled, started) and the bridge sends up to 8 at once,
      // so at least as many as there are pods.
      events.pause();
      await runPods("qp-drain", inFlight);
      await eventually(async () =>
        expect(connectionsWithUnreadData(events.port)).toBeGreaterThanOrEqual(inFlight.length),
      );
      expect(bridge.delivered).toEqual([]);

      // The kubelet: SIGTERM to queue-proxy, and the function's preStop hook, which holds its SIGTERM
      // until queue-proxy has drained (30 s without a request).
      const queueExit = queue.terminate();
      const preStop = queue.waitForDrain();
      events.resume();
      await eventually(async () => {
        const answer = await queue.probe("kubelet");
        expect(answer).toEqual({ status: 503, body: "shutting down\n" });
      });
      await runPods("qp-drain", duringDrain);
      await bridge.idle();

      await spire.halt();
      await runPods("qp-drain", whileSpireDown);
      await bridge.idle();
      // queue-proxy drains 30 s after the last request: kwok changes a pod no more once it is Running
      // and Ready, so the pods' events stop.
      expect(await preStop).toBe(200);
      // SIGKILL after what the preStop hook left of terminationGracePeriodSeconds (Knative: timeoutSeconds).
      const eventsExit = events.terminate(eventsSettings.timeoutSeconds * 1000 - QUEUE_DRAIN_QUIET_MS);
      await spire.resume();
      expect(await eventsExit).toBe("exit code 0");
      expect(await queueExit).toBe("exit code 0");

      const all = [...inFlight, ...duringDrain, ...whileSpireDown];
      // Every delivery answered 202 (none refused, none lost to the drain), every pod among them.
      expect(notAccepted(bridge)).toEqual([]);
      expect(deliveredNames(bridge)).toEqual([...all].sort());
      // Nothing writes any more; SPIRE's listing catches up with its last writes.
      await eventually(async () => expect(await registeredPods("qp-drain")).toEqual([...all].sort()));
      const gaveUp = logRecords(join(dir, "k8s-events.log")).filter((r) =>
        String(r.msg).startsWith("accepted event not reconciled"),
      );
      expect(gaveUp).toEqual([]);
      await bridge.stop();
      bridge = undefined;
    }, 120_000);

    it("afterwards a resync (the resync function behind its queue-proxy, POSTed as the PingSource does) has nothing to repair", async () => {
      const { plane } = live();
      resync = await startFunctionProcess({
        name: "resync",
        dir,
        configPath: await writeConfig("resync"),
        kubeconfigPath: plane.kubeconfigPath,
        env: { MY_POD_NAMESPACE: NAMESPACE },
      });
      resyncQueue = await startQueueProxy({ ...resyncSettings, namespace: NAMESPACE, userPort: resync.port });
      const answer = await post(
        resyncQueue.url,
        {
          "ce-specversion": "1.0",
          "ce-id": randomUUID(),
          "ce-type": "dev.knative.sources.ping",
          "ce-source": `/apis/v1/namespaces/${NAMESPACE}/pingsources/registrar-resync`,
        },
        "",
      );
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({
        status: "done",
        created: 0,
        updated: 0,
        deleted: 0,
        failed: 0,
      });
    });

    it("mtping, Knative's PingSource adapter, drives the resync through queue-proxy on the PingSource's schedule", async () => {
      const { plane, w } = live();
      if (!resyncQueue) throw new Error("the resync did not start (see the test before)");
      const resyncRuns = () =>
        logRecords(join(dir, "resync.log")).filter((r) => r.msg === "resync done") as Array<{
          created: number;
        }>;
      const before = resyncRuns().length;
      pinger = await startPingSourceAdapter({
        kubeconfigPath: plane.kubeconfigPath,
        kubeConfig: plane.kubeConfig,
      });
      const source = (await manifestObject("base/resync.yaml", "PingSource")) as {
        spec: Record<string, unknown>;
      };
      const api = plane.kubeConfig.makeApiClient(CustomObjectsApi);
      const target = {
        group: "sources.knative.dev",
        version: "v1",
        namespace: NAMESPACE,
        plural: "pingsources",
      };
      // Every 5 s: mtping (and the eventing webhook) parse schedules with an optional seconds field.
      const created = (await api.createNamespacedCustomObject({
        ...target,
        body: { ...source, spec: { ...source.spec, schedule: "*/5 * * * * *" } },
      })) as { metadata: { name: string; generation: number } };
      // The PingSource controller's part: the sink resolved (the Service's address is its queue-proxy), Ready.
      const conditions = ["SinkProvided", "Deployed", "OIDCIdentityCreated", "Ready"].map((type) => ({
        type,
        status: "True",
        lastTransitionTime: new Date().toISOString(),
      }));
      await api.replaceNamespacedCustomObjectStatus({
        ...target,
        name: created.metadata.name,
        body: {
          ...created,
          status: { observedGeneration: created.metadata.generation, sinkUri: resyncQueue.url, conditions },
        },
      });

      // No event reaches anything now: only a resync can register this pod.
      await w.runPod("qp-ping", "late-0", { serviceAccount: "web" });
      await eventually(async () => expect(await registeredPods("qp-ping")).toEqual(["late-0"]), {
        timeoutMs: 40_000,
        what: "a scheduled resync to register the pod",
      });
      await eventually(async () => expect(resyncRuns().length).toBeGreaterThanOrEqual(before + 2), {
        timeoutMs: 40_000,
        what: "two scheduled resyncs",
      });
      expect(
        resyncRuns()
          .slice(before)
          .filter((run) => run.created > 0)
          .map((run) => run.created),
      ).toEqual([1]);
    }, 120_000);
  },
);
