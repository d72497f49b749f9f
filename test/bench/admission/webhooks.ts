/**
 * The two webhooks of the admission comparison, each started as its own process on a fresh SPIRE
 * server with the same serving certificate, client CA and registrar settings (webhook mode, trust
 * domain, cluster, log level info): the project's `pod-admission` bundle (what the image runs) and
 * the seed's registrar v0.11.1. "Listening" is the time from spawn to the first HTTP answer over
 * mutual TLS (both create their cluster node alias entry before they serve).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { callWebhook, webhookTarget } from "../../e2e/harness/admission-client.js";
import { peerBinary } from "../../e2e/harness/peers.js";
import type { CertFiles } from "../../e2e/harness/pki.js";
import { freePort } from "../../e2e/harness/ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "../../e2e/harness/process.js";
import type { SpireServer } from "../../e2e/harness/spire.js";
import { builtFile, imageNodeOptions } from "../compare/systems/project-process.js";

export type WebhookName = "project" | "original";

export interface WebhookSetup {
  readonly dir: string;
  readonly server: SpireServer;
  readonly serving: CertFiles;
  readonly caCertPath: string;
  /** A client certificate signed by the CA, for the probe. */
  readonly client: CertFiles;
  /** The node binary and flags for the project's process. */
  readonly node: { readonly path: string; readonly args: readonly string[] };
}

export interface RunningWebhook {
  readonly process: PeerProcess;
  readonly port: number;
  /** Spawn to first HTTP answer, in ms. */
  readonly listeningMs: number;
}

export const CLUSTER = "bench";

export async function startWebhook(name: WebhookName, setup: WebhookSetup): Promise<RunningWebhook> {
  const port = await freePort();
  // The project serves health and metrics over plain HTTP on metrics_addr (":8080" by default).
  const own = name === "project" ? { metrics_addr: `127.0.0.1:${await freePort()}` } : {};
  const configPath = join(setup.dir, `${name}.conf.json`);
  await writeFile(
    configPath,
    `${JSON.stringify(
      {
        mode: "webhook",
        trust_domain: setup.server.trustDomain,
        cluster: CLUSTER,
        log_level: "info",
        server_socket_path: setup.server.socketPath,
        addr: `127.0.0.1:${port}`,
        cert_path: setup.serving.certPath,
        key_path: setup.serving.keyPath,
        cacert_path: setup.caCertPath,
        ...own,
      },
      null,
      2,
    )}\n`,
  );
  const logPath = join(setup.dir, `${name}.log`);
  const command =
    name === "project"
      ? {
          command: setup.node.path,
          args: [...setup.node.args, builtFile("functions/pod-admission/index.js"), "-config", configPath],
          env: { ...process.env, NODE_OPTIONS: imageNodeOptions() },
        }
      : { command: peerBinary("k8s-workload-registrar-v0.11.1"), args: ["-config", configPath] };
  const target = await webhookTarget(`https://127.0.0.1:${port}/validate`, setup.caCertPath, setup.client);
  const started = performance.now();
  const peer = spawnPeer({ name, ...command, logPath });
  try {
    await waitUntil(async () => (await callWebhook(target, "GET", undefined, 1_000)).status > 0, {
      what: `${name} webhook`,
      timeoutMs: 30_000,
      intervalMs: 5,
      peer,
    });
  } catch (error) {
    await peer.stop();
    throw error;
  }
  return { process: peer, port, listeningMs: Math.round(performance.now() - started) };
}
