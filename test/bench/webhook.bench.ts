/**
 * Webhook-mode benchmark (`npm run bench:webhook`; figures only): admission requests per second
 * and latency percentiles for the pod-admission function over loopback HTTPS with mutual TLS and
 * keep-alive connections, every request a pod CREATE that registers an entry, against (a) the
 * in-memory SPIRE entry server (in its own process) and (b) the real spire-server. The load comes from a separate
 * process (scripts/admission-load.mjs) so it does not share the server's event loop; the function
 * is wired as in production (a short SPIRE deadline, concurrent creates coalesced into batches).
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
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
import { coalesceWrites } from "../../lib/spire/coalesce.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { reconcileConfig } from "../component/functions/harness.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createPki, type Pki } from "../e2e/harness/pki.js";
import { startSpireServer } from "../e2e/harness/spire.js";
import { makeRunDir } from "../e2e/harness/tmp.js";

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

/**
 * With BENCH_LOADER=ab, ApacheBench (a C client, `apt-get install apache2-utils`) sends the load
 * instead, so the client costs less CPU than the server it measures; every request is then the same
 * pod (after the first, SPIRE answers AlreadyExists with the existing entry).
 */
async function loadWithAb(port: number, pki: Pki, label: string): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), "bench-ab-"));
  const clientPem = join(dir, "client.pem");
  await writeFile(
    clientPem,
    (await readFile(pki.webhookClient.certPath, "utf8")) +
      (await readFile(pki.webhookClient.keyPath, "utf8")),
  );
  const body = join(dir, "review.json");
  await writeFile(
    body,
    JSON.stringify({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      request: {
        uid: "u",
        kind: { group: "", version: "v1", kind: "Pod" },
        namespace: "bench",
        name: "pod-ab",
        operation: "CREATE",
        object: { metadata: { name: "pod-ab", namespace: "bench" }, spec: { serviceAccountName: "sa" } },
      },
    }),
  );
  const args = [
    "-q",
    "-k",
    "-n",
    String(REQUESTS),
    "-c",
    String(CONNECTIONS),
    "-E",
    clientPem,
    "-p",
    body,
    "-T",
    "application/json",
    `https://127.0.0.1:${port}/validate`,
  ];
  const { stdout } = await run("ab", args, { maxBuffer: 1 << 22 });
  await rm(dir, { recursive: true, force: true });
  const number = (pattern: RegExp) => Number(pattern.exec(stdout)?.[1] ?? Number.NaN);
  const failed = number(/Failed requests:\s+(\d+)/);
  const figures = {
    target: `${label} (ab)`,
    requests: REQUESTS - failed,
    connections: CONNECTIONS,
    requestsPerSecond: Math.round(number(/Requests per second:\s+([\d.]+)/)),
    p50Ms: number(/\s50%\s+(\d+)/),
    p99Ms: number(/\s99%\s+(\d+)/),
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return figures;
}

async function load(port: number, pki: Pki, label: string): Promise<Figures> {
  if (process.env.BENCH_LOADER === "ab") return loadWithAb(port, pki, label);
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

/**
 * The in-memory SPIRE entry server in a process of its own (scripts/fake-spire-server.mjs, compiled
 * with tsconfig.bench.json), so the benchmark measures the function, not the fake.
 */
async function startFakeSpireProcess(): Promise<{ socketPath: string; stop: () => Promise<void> }> {
  await run(join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.bench.json"]);
  const child = spawn(process.execPath, [join("scripts", "fake-spire-server.mjs"), TD], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const socketPath = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(chunk.toString("utf8").trim()));
    child.once("exit", (code) => reject(new Error(`fake SPIRE server exited with ${code}`)));
  });
  return {
    socketPath,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
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
    spire: coalesceWrites(spire),
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
    const fake = await startFakeSpireProcess();
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
