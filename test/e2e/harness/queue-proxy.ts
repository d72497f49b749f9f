/**
 * Knative's queue-proxy (knative.dev/serving v0.42.2 `cmd/queue`) as a peer in front of a user port,
 * configured through its environment the way Knative's revision reconciler configures the sidecar
 * (pkg/reconciler/revision/resources/queue.go): containerConcurrency, timeoutSeconds and the user
 * container's readiness probe, encoded as the reconciler encodes it.
 *
 * queue-proxy binds two fixed ports on every interface besides its serving port: 8022 (admin:
 * `/wait-for-drain`, the user container's preStop hook) and 9090 (autoscaler metrics). So one
 * queue-proxy runs at a time on a machine; a start waits for both ports to be free.
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary } from "./peers.js";
import { freePorts } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";
import { makeRunDir } from "./tmp.js";

/** networking.QueueAdminPort */
export const QUEUE_ADMIN_PORT = 8022;
/** networking.AutoscalingQueueMetricsPort */
export const QUEUE_METRICS_PORT = 9090;
/** How long queue-proxy keeps serving after SIGTERM once requests stop (drainSleepDuration). */
export const QUEUE_DRAIN_QUIET_MS = 30_000;
const START_TIMEOUT_MS = 30_000;
const FIXED_PORTS_TIMEOUT_MS = 60_000;

/** The part of a container's readinessProbe Knative reads (corev1.Probe as JSON). */
export interface ContainerProbe {
  readonly httpGet?: {
    readonly path?: string;
    readonly port?: number;
    readonly scheme?: string;
    readonly httpHeaders?: ReadonlyArray<{ name: string; value: string }>;
  };
  readonly tcpSocket?: { readonly port?: number };
  readonly initialDelaySeconds?: number;
  readonly periodSeconds?: number;
  readonly timeoutSeconds?: number;
  readonly successThreshold?: number;
  readonly failureThreshold?: number;
}

/**
 * SERVING_READINESS_PROBE for a user container's readinessProbe: Knative's defaulting
 * (successThreshold 1; with periodSeconds, failureThreshold 3 and timeoutSeconds 1), then the
 * reconciler's (host 127.0.0.1, the user port, scheme HTTP). Without periodSeconds queue-proxy
 * probes aggressively: every 50 ms for up to 10 s, each try with a 100 ms timeout.
 */
export function servingReadinessProbe(probe: ContainerProbe, userPort: number): string {
  const periodic = (probe.periodSeconds ?? 0) > 0;
  const encoded = {
    ...probe,
    successThreshold: probe.successThreshold || 1,
    ...(periodic
      ? { failureThreshold: probe.failureThreshold || 3, timeoutSeconds: probe.timeoutSeconds || 1 }
      : {}),
    ...(probe.httpGet
      ? {
          httpGet: {
            ...probe.httpGet,
            host: "127.0.0.1",
            port: probe.httpGet.port || userPort,
            scheme: probe.httpGet.scheme || "HTTP",
          },
        }
      : {}),
    ...(probe.tcpSocket ? { tcpSocket: { host: "127.0.0.1", port: probe.tcpSocket.port || userPort } } : {}),
  };
  return JSON.stringify(encoded);
}

export interface QueueProxyOptions {
  /** USER_PORT: the function's port on 127.0.0.1. */
  readonly userPort: number;
  /** The Knative Service's `containerConcurrency` (0: no limit). */
  readonly containerConcurrency: number;
  /** The Knative Service's `timeoutSeconds` (REVISION_TIMEOUT_SECONDS). */
  readonly timeoutSeconds: number;
  /** The user container's readinessProbe; absent: queue-proxy reports ready without asking. */
  readonly readinessProbe?: ContainerProbe;
  /** The Knative Service's name and namespace (for queue-proxy's logs). */
  readonly service: string;
  readonly namespace: string;
  readonly log?: HarnessLog;
}

/** The answer to a probe of queue-proxy. */
export interface ProbeAnswer {
  readonly status: number;
  readonly body: string;
}

export interface QueueProxy {
  /** The serving port (QUEUE_SERVING_PORT) on loopback: what the sink URI of a source points at. */
  readonly url: string;
  readonly pid: number;
  /**
   * Probes queue-proxy as the kubelet does (User-Agent `kube-probe/…`) or as the activator does
   * (`Knative-Activator-Probe`), both with `K-Network-Probe: queue`: 200 `queue` when the user
   * container passes its readiness probe, 503 when it does not or when queue-proxy drains.
   */
  probe(as: "kubelet" | "activator"): Promise<ProbeAnswer>;
  /**
   * The user container's preStop hook: GET `/wait-for-drain` on the admin port. It returns once
   * queue-proxy has drained (after SIGTERM, 30 s without a request); the kubelet then sends the user
   * container its SIGTERM. Resolves with the HTTP status.
   */
  waitForDrain(): Promise<number>;
  /**
   * SIGTERM, as the kubelet sends it; resolves with the exit status once queue-proxy has drained and
   * exited (SIGKILL after the pod's terminationGracePeriodSeconds, which Knative sets to timeoutSeconds).
   */
  terminate(): Promise<string>;
  /** Teardown: stops it at once (SIGTERM, SIGKILL without waiting for the drain) and removes its run dir. */
  stop(): Promise<void>;
}

/** Starts queue-proxy on a free loopback port and waits until its serving and admin ports answer. */
export async function startQueueProxy(opts: QueueProxyOptions): Promise<QueueProxy> {
  const log = opts.log ?? stderrLog;
  await waitForFixedPorts();
  const run = await makeRunDir("qp", log);
  let peer: PeerProcess | undefined;
  try {
    const [port = 0, tlsPort = 0] = await freePorts(2);
    const revision = `${opts.service}-00001`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "",
      SERVING_NAMESPACE: opts.namespace,
      SERVING_SERVICE: opts.service,
      SERVING_CONFIGURATION: opts.service,
      SERVING_REVISION: revision,
      SERVING_POD: `${revision}-deployment-0`,
      SERVING_POD_IP: "127.0.0.1",
      QUEUE_SERVING_PORT: String(port),
      // Required, but served only when a certificate is mounted in /var/lib/knative/certs.
      QUEUE_SERVING_TLS_PORT: String(tlsPort),
      USER_PORT: String(opts.userPort),
      CONTAINER_CONCURRENCY: String(opts.containerConcurrency),
      REVISION_TIMEOUT_SECONDS: String(opts.timeoutSeconds),
      SERVING_LOGGING_CONFIG: "",
      SERVING_LOGGING_LEVEL: "info",
      SERVING_READINESS_PROBE: opts.readinessProbe
        ? servingReadinessProbe(opts.readinessProbe, opts.userPort)
        : "",
      ENABLE_HTTP2_AUTO_DETECTION: "false",
      ENABLE_MULTI_CONTAINER_PROBES: "false",
    };
    const startedAt = performance.now();
    const started = spawnPeer({
      name: "queue-proxy",
      command: peerBinary("queue-proxy"),
      args: [],
      logPath: join(run.path, "queue-proxy.log"),
      env,
    });
    peer = started;
    const url = `http://127.0.0.1:${port}/`;
    await waitUntil(async () => (await networkProbe(url)) && (await adminAnswers()), {
      what: "queue-proxy serving and admin ports",
      timeoutMs: START_TIMEOUT_MS,
      intervalMs: 100,
      peer: started,
    });
    log(
      `queue-proxy ready in ${elapsedMs(startedAt)} ms (${url} -> 127.0.0.1:${opts.userPort}, ` +
        `containerConcurrency ${opts.containerConcurrency}, pid ${started.pid})`,
    );
    return {
      url,
      pid: started.pid,
      probe: (as) => probeQueue(url, as),
      async waitForDrain() {
        const response = await fetch(`http://127.0.0.1:${QUEUE_ADMIN_PORT}/wait-for-drain`);
        await response.body?.cancel();
        return response.status;
      },
      async terminate() {
        await started.stop(opts.timeoutSeconds * 1000);
        return started.exitStatus() ?? "running";
      },
      async stop() {
        await started.stop(0);
        await run.remove();
      },
    };
  } catch (error) {
    await peer?.stop(0);
    await run.remove();
    throw error;
  }
}

async function probeQueue(url: string, as: "kubelet" | "activator"): Promise<ProbeAnswer> {
  const response = await fetch(url, {
    headers: {
      "User-Agent": as === "kubelet" ? "kube-probe/1.36" : "Knative-Activator-Probe",
      "K-Network-Probe": "queue",
    },
  });
  return { status: response.status, body: await response.text() };
}

/** A Knative network probe, which queue-proxy answers itself (200 with the hash echoed). */
async function networkProbe(url: string): Promise<boolean> {
  const response = await fetch(url, {
    headers: { "K-Network-Probe": "probe", "K-Network-Hash": "e2e" },
    signal: AbortSignal.timeout(2_000),
  });
  await response.body?.cancel();
  return response.status === 200 && response.headers.get("K-Network-Hash") === "e2e";
}

async function adminAnswers(): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${QUEUE_ADMIN_PORT}/`, {
    signal: AbortSignal.timeout(2_000),
  });
  await response.body?.cancel();
  return response.status === 404;
}

/** Waits until nothing listens on the ports every queue-proxy binds (another one may be stopping). */
async function waitForFixedPorts(): Promise<void> {
  await waitUntil(async () => (await canBind(QUEUE_ADMIN_PORT)) && (await canBind(QUEUE_METRICS_PORT)), {
    what:
      `queue-proxy's fixed ports ${QUEUE_ADMIN_PORT} and ${QUEUE_METRICS_PORT} to be free ` +
      "(another queue-proxy, or something else, holds them)",
    timeoutMs: FIXED_PORTS_TIMEOUT_MS,
    intervalMs: 250,
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    // Unspecified address, as Go's ":port" (dual stack where IPv6 is on).
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
