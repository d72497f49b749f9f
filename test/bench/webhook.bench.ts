/**
 * Webhook-mode benchmark (`npm run bench:webhook`; figures only): admission requests per second
 * and latency percentiles for the pod-admission function over loopback HTTPS with mutual TLS and
 * keep-alive connections, every request a pod CREATE that registers an entry, against (a) the
 * in-memory SPIRE entry server and (b) the real spire-server. Load comes from this process.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../functions/pod-admission/app.js";
import type { ServedApp } from "../../lib/http/serve.js";
import { serveTls } from "../../lib/http/serve-tls.js";
import { webhookOwnership } from "../../lib/planner/ownership.js";
import { createSpireClient } from "../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { reconcileConfig } from "../component/functions/harness.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createPki, type Pki } from "../e2e/harness/pki.js";
import { startSpireServer } from "../e2e/harness/spire.js";
import { makeRunDir } from "../e2e/harness/tmp.js";
import { startFakeSpireServer } from "../fakes/spire-entry-server.js";

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const TD = "example.org";
const logger = pino({ level: "silent" });
const config = {
  ...reconcileConfig({ mode: "webhook", trustDomain: TD, cluster: "bench" }),
  webhookFailClosed: false,
};

function percentile(sorted: readonly number[], p: number): number {
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

async function load(port: number, pki: Pki, label: string) {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: CONNECTIONS,
    ca: readFileSync(pki.ca.certPath),
    cert: readFileSync(pki.webhookClient.certPath),
    key: readFileSync(pki.webhookClient.keyPath),
  });
  const post = (i: number) =>
    new Promise<number>((resolve, reject) => {
      const body = JSON.stringify({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: `u-${label}-${i}`,
          kind: { group: "", version: "v1", kind: "Pod" },
          namespace: "bench",
          name: `pod-${i}`,
          operation: "CREATE",
          object: {
            metadata: { name: `pod-${i}`, namespace: "bench" },
            spec: { serviceAccountName: `sa-${i % 50}` },
          },
        },
      });
      const started = performance.now();
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: "/validate",
          method: "POST",
          agent,
          servername: "localhost",
          headers: { "content-type": "application/json" },
        },
        (res) => {
          res.resume();
          res.on("end", () =>
            res.statusCode === 200
              ? resolve(performance.now() - started)
              : reject(new Error(`HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  // warm-up: open the connections
  await Promise.all(Array.from({ length: CONNECTIONS }, (_, i) => post(-1 - i)));
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < REQUESTS) latencies.push(await post(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const figures = {
    target: label,
    requests: REQUESTS,
    connections: CONNECTIONS,
    requestsPerSecond: Math.round(REQUESTS / seconds),
    p50Ms: Math.round(percentile(latencies, 50) * 100) / 100,
    p99Ms: Math.round(percentile(latencies, 99) * 100) / 100,
  };
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  return figures;
}

async function serveAdmission(
  socketPath: string,
  pki: Pki,
  dir: string,
): Promise<{ served: ServedApp; close: () => void }> {
  const spire = createSpireClient({
    transport: createUnixSocketTransport(socketPath),
    logger,
    timeoutMs: 2000,
    retry: { maxAttempts: 1 },
  });
  const server = await pki.issueServerCert("bench-webhook", ["127.0.0.1", "localhost"]);
  const app = createApp({
    config,
    spire,
    isOwned: webhookOwnership(config),
    logger,
    readiness: async () => ({ ready: true }),
  });
  const served = await serveTls(app, {
    addr: "127.0.0.1:0",
    files: { certPath: server.certPath, keyPath: server.keyPath, caCertPath: pki.ca.certPath },
    logger,
    name: `bench-${dir}`,
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
    const { served, close } = await serveAdmission(fake.socketPath, pki, "fake");
    try {
      const figures = await load(served.port, pki, "in-memory SPIRE");
      expect(figures.requests).toBe(REQUESTS);
    } finally {
      await served.close();
      close();
      await fake.stop();
    }
  });

  it.skipIf(skipWithoutPeers(["spire-server"]))("against the real spire-server", async () => {
    const spireServer = await startSpireServer({ trustDomain: TD });
    const { served, close } = await serveAdmission(spireServer.socketPath, pki, "real");
    try {
      const figures = await load(served.port, pki, "real spire-server");
      expect(figures.requests).toBe(REQUESTS);
    } finally {
      await served.close();
      close();
      await spireServer.stop();
    }
  });
});
