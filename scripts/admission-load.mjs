#!/usr/bin/env node
// Load generator for the admission benchmark (test/bench/webhook.bench.ts), run as its own process
// so it does not share the event loop with the server it measures. Posts `requests` pod CREATE
// AdmissionReviews over `connections` keep-alive mutual-TLS connections and prints one JSON line:
// requests per second and latency percentiles.
// usage: node scripts/admission-load.mjs PORT CA CERT KEY REQUESTS CONNECTIONS LABEL
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";

const [port, caPath, certPath, keyPath, requestsText, connectionsText, label] = process.argv.slice(2);
const requests = Number(requestsText);
const connections = Number(connectionsText);
const agent = new Agent({
  keepAlive: true,
  maxSockets: connections,
  ca: readFileSync(caPath),
  cert: readFileSync(certPath),
  key: readFileSync(keyPath),
});

function post(i) {
  const body = JSON.stringify({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: `u-${label}-${i}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      namespace: "bench",
      name: `pod-${label}-${i}`,
      operation: "CREATE",
      object: {
        metadata: { name: `pod-${label}-${i}`, namespace: "bench" },
        spec: { serviceAccountName: `sa-${i % 50}` },
      },
    },
  });
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        host: "127.0.0.1",
        port: Number(port),
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
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
await Promise.all(Array.from({ length: connections }, (_, i) => post(-1 - i)));
const latencies = [];
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (next < requests) latencies.push(await post(next++));
  }),
);
const seconds = (performance.now() - started) / 1000;
agent.destroy();
latencies.sort((a, b) => a - b);
const round = (ms) => Math.round(ms * 100) / 100;
process.stdout.write(
  `${JSON.stringify({ target: label, requests, connections, requestsPerSecond: Math.round(requests / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) })}\n`,
);
