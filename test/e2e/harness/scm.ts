import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { httpOk } from "./http.js";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary, peersCacheDir } from "./peers.js";
import { freePorts } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";
import type { SpireServer } from "./spire.js";
import { makeRunDir } from "./tmp.js";

const READY_TIMEOUT_MS = 60_000;

/**
 * The CRD files of spire-controller-manager (ClusterSPIFFEID, ClusterStaticEntry,
 * ClusterFederatedTrustDomain, ControllerManagerConfig), which scripts/peers.sh keeps in
 * `scm-crds` beside the binaries. Apply them (`applyCrds`) before starting it.
 */
export async function scmCrdFiles(): Promise<string[]> {
  const dir = peersCacheDir("scm-crds");
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new Error(`no spire-controller-manager CRDs in ${dir}: run PEERS=all npm run peers`, {
      cause: error,
    });
  }
  return names
    .filter((name) => name.endsWith(".yaml"))
    .sort()
    .map((name) => join(dir, name));
}

/** Options of `startSpireControllerManager`. */
export interface ScmOptions {
  /**
   * Its own spire-server (current release): without `entryIDPrefix` it deletes every entry it
   * did not declare.
   */
  server: SpireServer;
  kubeconfigPath: string;
  /** Default "e2e". */
  clusterName?: string;
  /** More ControllerManagerConfig fields, e.g. `{ entryIDPrefix: "scm" }` or `{ ignoreNamespaces: [] }`. */
  config?: Readonly<Record<string, unknown>>;
  log?: HarnessLog;
}

/** A running spire-controller-manager. */
export interface Scm {
  readonly pid: number;
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** `http://127.0.0.1:PORT` serving /healthz and /readyz. */
  readonly healthUrl: string;
  readonly metricsUrl: string;
  /** Stops the process (by PID) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts spire-controller-manager v0.6.6 out of a cluster: `ENABLE_WEBHOOKS=false` (no webhook
 * server, no in-cluster config), `KUBECONFIG`, and `-config` with a ControllerManagerConfig naming
 * the cluster, trust domain, SPIRE socket, cluster domain (else it looks it up in DNS) and free
 * loopback ports for metrics and health. Waits for `/readyz`.
 */
export async function startSpireControllerManager(opts: ScmOptions): Promise<Scm> {
  const log = opts.log ?? stderrLog;
  const run = await makeRunDir("scm", log);
  let peer: PeerProcess | undefined;
  try {
    const [metricsPort, healthPort] = (await freePorts(2)) as [number, number];
    const configPath = join(run.path, "scm-config.json");
    const config = {
      apiVersion: "spire.spiffe.io/v1alpha1",
      kind: "ControllerManagerConfig",
      clusterName: opts.clusterName ?? "e2e",
      clusterDomain: "cluster.local",
      logLevel: "debug",
      logEncoding: "console",
      ...opts.config,
      trustDomain: opts.server.trustDomain,
      spireServerSocketPath: opts.server.socketPath,
      metrics: { bindAddress: `127.0.0.1:${metricsPort}` },
      health: { healthProbeBindAddress: `127.0.0.1:${healthPort}` },
    };
    // JSON is YAML: the config loader reads it as it is.
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
    const logPath = join(run.path, "spire-controller-manager.log");
    const startedAt = performance.now();
    const started = spawnPeer({
      name: "spire-controller-manager",
      command: peerBinary("spire-controller-manager"),
      args: ["-config", configPath],
      logPath,
      env: { ...process.env, ENABLE_WEBHOOKS: "false", KUBECONFIG: opts.kubeconfigPath },
    });
    peer = started;
    const healthUrl = `http://127.0.0.1:${healthPort}`;
    await waitUntil(() => httpOk(`${healthUrl}/readyz`), {
      what: "spire-controller-manager /readyz",
      timeoutMs: READY_TIMEOUT_MS,
      peer: started,
    });
    log(`spire-controller-manager ready in ${elapsedMs(startedAt)} ms (${healthUrl}, pid ${started.pid})`);
    let stopped: Promise<void> | undefined;
    return {
      pid: started.pid,
      dir: run.path,
      configPath,
      logPath,
      healthUrl,
      metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
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
