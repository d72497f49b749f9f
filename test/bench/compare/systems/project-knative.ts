/**
 * System "knative": the project's functions as Knative runs them, one process each: `k8s-events`
 * (dist/bundle/functions/k8s-events, `event_ack = "accepted"` as the Knative overlay sets it) fed by Knative's real ApiServerSource receive adapter (pods, nodes,
 * endpointslices, all namespaces, Reference mode), and `resync` (dist/bundle/functions/resync), POSTed once
 * at start as a PingSource would: that POST is the cold start. `knativeFunctions` runs the same processes for
 * another configuration (the system "cluster-spiffeid-knative"). The adapter's probe server is fixed
 * to :8080 by knative.dev/pkg, so that port must be free.
 */
import { request } from "node:http";
import { createServer } from "node:net";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { peerBinary } from "../../../e2e/harness/peers.js";
import { freePorts } from "../../../e2e/harness/ports.js";
import { spawnPeer, waitUntil } from "../../../e2e/harness/process.js";
import type { NodeCommand } from "../settings.js";
import type { RunContext, RunningSystem, SystemName, SystemUnderTest } from "../system.js";
import { missingPeer } from "./peer-binary.js";
import { missingBuild, startNodeProcess, writeConfig } from "./project-process.js";

const ADAPTER_PROBE_PORT = 8080;

export function projectKnative(node: NodeCommand): SystemUnderTest {
  return knativeFunctions(node, {
    name: "knative",
    title: "project (Knative adapter)",
    config: (context) => context.registrarConfig,
    resources: [
      { Group: "", Version: "v1", Resource: "pods" },
      { Group: "", Version: "v1", Resource: "nodes" },
      { Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices" },
    ],
    mode: "Reference",
  });
}

/** A resource the adapter watches, as ApiServerSource's K_SOURCE_CONFIG names it. */
export interface GroupVersionResource {
  readonly Group: string;
  readonly Version: string;
  readonly Resource: string;
}

/** What differs between the systems that run the functions behind the adapter. */
export interface KnativeSystem {
  readonly name: SystemName;
  readonly title: string;
  /** The configuration (HCL's JSON form) without the SPIRE socket, metrics address and `event_ack`. */
  config(context: RunContext): Readonly<Record<string, unknown>>;
  readonly resources: readonly GroupVersionResource[];
  /** The adapter's event mode (one adapter for every resource). */
  readonly mode: "Reference" | "Resource";
  /** Why it cannot run besides a missing build or adapter, if it cannot. */
  unavailable?(): string | undefined;
  setUp?(kubeConfig: KubeConfig): Promise<void>;
}

export function knativeFunctions(node: NodeCommand, system: KnativeSystem): SystemUnderTest {
  return {
    name: system.name,
    title: system.title,
    unavailable: () =>
      missingBuild("functions/k8s-events/index.js") ??
      missingBuild("functions/resync/index.js") ??
      missingPeer("apiserver_receive_adapter") ??
      system.unavailable?.(),
    ...(system.setUp ? { setUp: system.setUp } : {}),
    async start(context: RunContext): Promise<RunningSystem> {
      if (!(await portIsFree(ADAPTER_PROBE_PORT))) {
        throw new Error(
          `port ${ADAPTER_PROBE_PORT} is in use: the ApiServerSource adapter needs it for its probes`,
        );
      }
      const [eventsPort, resyncPort, profilingPort] = (await freePorts(3)) as [number, number, number];
      const configPath = await writeConfig(context.dir, "registrar.conf.json", {
        ...system.config(context),
        server_socket_path: context.spire.socketPath,
        metrics_addr: `127.0.0.1:${eventsPort}`,
        event_ack: "accepted",
      });
      const env = (port: number) => ({
        ...process.env,
        KUBECONFIG: context.kubeconfigPath,
        PORT: String(port),
      });
      const eventsLog = join(context.dir, "k8s-events.log");
      const resyncLog = join(context.dir, "resync.log");
      const adapterLog = join(context.dir, "adapter.log");
      await Promise.all([
        startNodeProcess(
          {
            role: "k8s-events",
            entry: "functions/k8s-events/index.js",
            args: ["-config", configPath],
            node,
            env: env(eventsPort),
            logPath: eventsLog,
            url: `http://127.0.0.1:${eventsPort}`,
          },
          context,
        ),
        startNodeProcess(
          {
            role: "resync",
            entry: "functions/resync/index.js",
            args: ["-config", configPath],
            node,
            env: env(resyncPort),
            logPath: resyncLog,
            url: `http://127.0.0.1:${resyncPort}`,
          },
          context,
        ),
      ]);
      const adapter = spawnPeer({
        name: "apiserver_receive_adapter",
        command: peerBinary("apiserver_receive_adapter"),
        args: [],
        logPath: adapterLog,
        env: {
          ...process.env,
          KUBECONFIG: context.kubeconfigPath,
          K_SINK: `http://127.0.0.1:${eventsPort}/`,
          NAME: "bench-source",
          NAMESPACE: "default",
          SYSTEM_NAMESPACE: "knative-eventing",
          METRICS_DOMAIN: "knative.dev/eventing",
          PROFILING_PORT: String(profilingPort),
          K_SOURCE_CONFIG: JSON.stringify({
            namespaces: [],
            allNamespaces: true,
            resources: system.resources.map((gvr) => ({ gvr })),
            mode: system.mode,
          }),
        },
      });
      context.own("adapter", adapter);
      await waitUntil(
        async () =>
          (await fetch(`http://127.0.0.1:${ADAPTER_PROBE_PORT}/readiness`).catch(() => undefined))?.ok ===
          true,
        { what: "apiserver_receive_adapter /readiness", timeoutMs: 60_000, intervalMs: 100, peer: adapter },
      );
      // What a PingSource does: POST to the resync function. It answers when the resync is done.
      const answer = await post(`http://127.0.0.1:${resyncPort}/`);
      context.log(`resync answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      if (answer.status !== 200)
        throw new Error(`resync answered ${answer.status}: ${answer.body.slice(0, 300)}`);
      return {
        logPaths: [eventsLog, resyncLog, adapterLog, configPath],
        metricsUrls: [eventsPort, resyncPort].map((port) => `http://127.0.0.1:${port}/metrics`),
      };
    },
  };
}

/** POSTs an empty body and reads the answer, with no deadline (a large resync takes minutes). */
function post(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", headers: { "content-length": 0 } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** True when nothing listens on `port` (the adapter binds every address). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}
