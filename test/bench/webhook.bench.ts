/**
 * Webhook-mode benchmark (`npm run bench:webhook`; figures only): admission requests per second
 * and latency percentiles for the pod-admission function over loopback HTTPS with mutual TLS and
 * keep-alive connections, every request a pod CREATE that registers an entry, against (a) the
 * in-memory SPIRE entry server and (b) the real spire-server. The load comes from a separate
 * process (scripts/admission-load.mjs) so it does not share the server's event loop; the function
 * is wired as in production (a short SPIRE deadline, concurrent creates coalesced into batches).
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../functions/pod-admission/app.js";
import { ADMISSION_SPIRE_TIMEOUT_MS } from "../../functions/pod-admission/start.js";
import type { ServedApp } from "../../lib/http/serve.js";
import { serveTls } from "../../lib/http/serve-tls.js";
import { webhookOwnership } from "../../lib/planner/ownership.js";
import { createSpireClient } from "../../lib/spire/client.js";
import { coalesceCreates } from "../../lib/spire/coalesce.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { reconcileConfig } from "../component/functions/harness.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createPki, type Pki } from "../e2e/harness/pki.js";
import { startSpireServer } from "../e2e/harness/spire.js";
import { makeRunDir } from "../e2e/harness/tmp.js";
import { startFakeSpireServer } from "../fakes/spire-entry-server.js";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TD = "example.org";
const logger = pino({ level: "silent" });
const config = {
  ...reconcileConfig({ mode: "webhook", trustDomain: TD, cluster: "bench" }),
  webhookFailClosed: false,
};
const run = promisify(execFile);

interface Figures {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p99Ms: number;
}

async function load(port: number, pki: Pki, label: string): Promise<Figures> {
  const args = [
    join("scripts", "admission-load.mjs"),
    String(port),
    pki.ca.certPath,
    pki.webhookClient.certPath,
    pki.webhookClient.keyPath,
    String(REQUESTS),
    String(CONNECTIONS),
    label,
  ];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 1 << 20 });
  process.stdout.write(stdout);
  return JSON.parse(stdout) as Figures;
}

async function serveAdmission(
  socketPath: string,
  pki: Pki,
): Promise<{ served: ServedApp; close: () => void }> {
  const spire = createSpireClient({
    transport: createUnixSocketTransport(socketPath),
    logger,
    timeoutMs: ADMISSION_SPIRE_TIMEOUT_MS,
    retry: { maxAttempts: 1 },
  });
  const server = await pki.issueServerCert("bench-webhook", ["127.0.0.1", "localhost"]);
  const app = createApp({
    config,
    spire: coalesceCreates(spire),
    isOwned: webhookOwnership(config),
    logger,
    readiness: async () => ({ ready: true }),
  });
  const served = await serveTls(app, {
    addr: "127.0.0.1:0",
    files: { certPath: server.certPath, keyPath: server.keyPath, caCertPath: pki.ca.certPath },
    logger,
    name: "bench",
  });
  return { served, close: () => spire.close() };
}

describe("pod-admission throughput", () => {
  let runDir: Awaited<ReturnType<typeof makeRunDir>>;
  let pki: Pki;
  beforeAll(async () => {
    runDir = await makeRunDir("bench-webhook", () => undefined);
    pki = await createPki(join(runDir.path, "pki"));
  });
  afterAll(() => runDir.remove());

  it("against the in-memory SPIRE entry server", async () => {
    const fake = await startFakeSpireServer({ trustDomain: TD });
    const { served, close } = await serveAdmission(fake.socketPath, pki);
    try {
      expect((await load(served.port, pki, "in-memory-SPIRE")).requests).toBe(REQUESTS);
    } finally {
      await served.close();
      close();
      await fake.stop();
    }
  });

  it.skipIf(skipWithoutPeers(["spire-server"]))("against the real spire-server", async () => {
    const spireServer = await startSpireServer({ trustDomain: TD });
    const { served, close } = await serveAdmission(spireServer.socketPath, pki);
    try {
      expect((await load(served.port, pki, "real-spire-server")).requests).toBe(REQUESTS);
    } finally {
      await served.close();
      close();
      await spireServer.stop();
    }
  });
});
