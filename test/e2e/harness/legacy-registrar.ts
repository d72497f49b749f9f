import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { callWebhook, webhookTarget } from "./admission-client.js";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary } from "./peers.js";
import type { CertFiles } from "./pki.js";
import { freePort } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";
import type { SpireServer } from "./spire.js";
import { makeRunDir } from "./tmp.js";

const READY_TIMEOUT_MS = 30_000;

/** Options of `startLegacyWebhookRegistrar`. */
export interface LegacyWebhookRegistrarOptions {
  /** A spire-server of release v0.11.1 (the registrar speaks its legacy Registration API). */
  server: SpireServer;
  /** Serving certificate and key; the certificate must name 127.0.0.1. */
  serving: CertFiles;
  /** The CA client certificates must chain to (`cacert_path`). */
  caCertPath: string;
  /** A client certificate signed by that CA, for the readiness probe. */
  client: CertFiles;
  /**
   * More configuration (HCL's JSON form), e.g. `{ pod_label: "spiffe-id" }`, besides what this
   * sets: `mode = "webhook"`, `server_socket_path`, `addr` (a free loopback port), `cert_path`,
   * `key_path`, `cacert_path`, `log_level`. `trust_domain` defaults to the server's and `cluster`
   * to "e2e".
   */
  config?: Readonly<Record<string, unknown>>;
  log?: HarnessLog;
}

/** A running k8s-workload-registrar v0.11.1 in webhook mode. */
export interface LegacyWebhookRegistrar {
  readonly pid: number;
  /** `https://127.0.0.1:PORT/validate`: AdmissionReview v1beta1, client certificates required. */
  readonly url: string;
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** Stops the process (by PID) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the seed's own registrar v0.11.1 in webhook mode and waits until it answers HTTPS on
 * `/validate` (`GET` gives 405). It serves only after creating its cluster node alias entry
 * (`spiffe://<td>/k8s-workload-registrar/<cluster>/node`), so ready means that entry exists.
 */
export async function startLegacyWebhookRegistrar(
  opts: LegacyWebhookRegistrarOptions,
): Promise<LegacyWebhookRegistrar> {
  if (opts.server.release !== "v0.11.1") {
    throw new Error(
      "the v0.11.1 registrar needs a spire-server of release v0.11.1 (legacy Registration API)",
    );
  }
  const log = opts.log ?? stderrLog;
  const run = await makeRunDir("legacy", log);
  let peer: PeerProcess | undefined;
  try {
    const port = await freePort();
    const configPath = join(run.path, "registrar.conf.json");
    const config = {
      trust_domain: opts.server.trustDomain,
      cluster: "e2e",
      log_level: "debug",
      ...opts.config,
      mode: "webhook",
      server_socket_path: opts.server.socketPath,
      addr: `127.0.0.1:${port}`,
      cert_path: opts.serving.certPath,
      key_path: opts.serving.keyPath,
      cacert_path: opts.caCertPath,
    };
    await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`);
    const logPath = join(run.path, "k8s-workload-registrar.log");
    const startedAt = performance.now();
    const started = spawnPeer({
      name: "k8s-workload-registrar-v0.11.1",
      command: peerBinary("k8s-workload-registrar-v0.11.1"),
      args: ["-config", configPath],
      logPath,
    });
    peer = started;
    const url = `https://127.0.0.1:${port}/validate`;
    const target = await webhookTarget(url, opts.caCertPath, opts.client);
    await waitUntil(async () => (await callWebhook(target, "GET", undefined, 2_000)).status === 405, {
      what: "k8s-workload-registrar-v0.11.1 HTTPS",
      timeoutMs: READY_TIMEOUT_MS,
      peer: started,
    });
    log(`k8s-workload-registrar-v0.11.1 ready in ${elapsedMs(startedAt)} ms (${url}, pid ${started.pid})`);
    let stopped: Promise<void> | undefined;
    return {
      pid: started.pid,
      url,
      dir: run.path,
      configPath,
      logPath,
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
