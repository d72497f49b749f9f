import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { httpOk } from "./http.js";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary } from "./peers.js";
import { freePort } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";
import type { SpireServer } from "./spire.js";
import { makeRunDir } from "./tmp.js";

const READY_TIMEOUT_MS = 60_000;

/** Options of `startGoRegistrar`. */
export interface GoRegistrarOptions {
  mode: "reconcile" | "crd";
  /** Its own spire-server (current release): it speaks the server API on the admin socket. */
  server: SpireServer;
  kubeconfigPath: string;
  /**
   * The configuration as the project's functions read it too (HCL's JSON form, which the Go
   * registrar's HCL v1 decoder also reads): `trust_domain`, `cluster` and the mode's keys. This
   * sets `mode`, `server_socket_path`, the metrics address (a free loopback port), `log_level`
   * and, in crd mode, `webhook_enabled = false` (out of a cluster it cannot mint its certificate).
   */
  config: Readonly<Record<string, unknown>>;
  /** crd mode: MY_POD_NAMESPACE, where node SpiffeIDs go. Default "spire". */
  namespace?: string;
  log?: HarnessLog;
}

/** A running Go k8s-workload-registrar v1.5.6. */
export interface GoRegistrar {
  readonly pid: number;
  /** Config file and `k8s-workload-registrar.log`. */
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** The controller-runtime metrics endpoint, `http://127.0.0.1:PORT/metrics`. */
  readonly metricsUrl: string;
  /** Stops the process (by PID) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the Go registrar v1.5.6 (`k8s-workload-registrar`) in reconcile or crd mode against a
 * kube-apiserver (through `KUBECONFIG`) and a spire-server socket, and waits until its manager
 * serves `/metrics` (the manager has started). Entries then follow asynchronously: callers poll
 * SPIRE for the state they expect. crd mode needs the SpiffeID CRD applied first.
 */
export async function startGoRegistrar(opts: GoRegistrarOptions): Promise<GoRegistrar> {
  const log = opts.log ?? stderrLog;
  const run = await makeRunDir("goreg", log);
  let peer: PeerProcess | undefined;
  try {
    const metricsPort = await freePort();
    const metricsAddr = `127.0.0.1:${metricsPort}`;
    const configPath = join(run.path, "registrar.conf.json");
    const config =
      opts.mode === "reconcile"
        ? { ...opts.config, mode: "reconcile", metrics_addr: metricsAddr }
        : { ...opts.config, mode: "crd", metrics_bind_addr: metricsAddr, webhook_enabled: false };
    await writeFile(
      configPath,
      `${JSON.stringify({ log_level: "debug", ...config, server_socket_path: opts.server.socketPath }, null, 2)}\n`,
    );
    const logPath = join(run.path, "k8s-workload-registrar.log");
    const startedAt = performance.now();
    const started = spawnPeer({
      name: `k8s-workload-registrar (${opts.mode})`,
      command: peerBinary("k8s-workload-registrar"),
      args: ["-config", configPath],
      logPath,
      env: {
        ...process.env,
        KUBECONFIG: opts.kubeconfigPath,
        MY_POD_NAMESPACE: opts.namespace ?? "spire",
      },
    });
    peer = started;
    const metricsUrl = `http://${metricsAddr}/metrics`;
    await waitUntil(() => httpOk(metricsUrl), {
      what: "k8s-workload-registrar /metrics",
      timeoutMs: READY_TIMEOUT_MS,
      peer: started,
    });
    log(
      `k8s-workload-registrar (${opts.mode}) ready in ${elapsedMs(startedAt)} ms (${metricsUrl}, pid ${started.pid})`,
    );
    let stopped: Promise<void> | undefined;
    return {
      pid: started.pid,
      dir: run.path,
      configPath,
      logPath,
      metricsUrl,
      stop() {
        stopped ??= (async () => {
          await started.stop();
          await run.remove();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await peer?.stop();
    await run.remove();
    throw error;
  }
}
