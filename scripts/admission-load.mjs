#!/usr/bin/env node
// Load generator for the admission benchmarks (test/bench/webhook.bench.ts,
// test/bench/admission-compare.bench.ts), run as its own process so it does not share the event
// loop with the server it measures. Posts `requests` pod AdmissionReviews over `connections`
// keep-alive mutual-TLS connections and prints one JSON line: requests per second, latency
// percentiles, and how many answers denied the pod or carried warnings (a fail-open webhook admits
// a pod whose entry it could not write, with a warning).
// usage: node scripts/admission-load.mjs PORT CA CERT KEY REQUESTS CONNECTIONS LABEL [OPTIONS]
// OPTIONS (JSON): apiVersion ("admission.k8s.io/v1"), operation ("CREATE" | "DELETE": the final
// DELETE, grace period 0, of the pods a CREATE run with the same LABEL admitted), namespace
// ("bench"), warmup (true: one request per connection first, pods `pod-LABEL--1`...).
import { readFileSync } from "node:fs";
import { Agent, request } from "node:https";
import { performance } from "node:perf_hooks";

const [port, caPath, certPath, keyPath, requestsText, connectionsText, label, optionsText] =
  process.argv.slice(2);
const requests = Number(requestsText);
const connections = Number(connectionsText);
const options = {
  apiVersion: "admission.k8s.io/v1",
  operation: "CREATE",
  namespace: "bench",
  warmup: true,
  ...JSON.parse(optionsText ?? "{}"),
};
const agent = new Agent({
  keepAlive: true,
  maxSockets: connections,
  ca: readFileSync(caPath),
  cert: readFileSync(certPath),
  key: readFileSync(keyPath),
});

function review(i) {
  const name = `pod-${label}-${i}`;
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: options.namespace, uid: `pod-uid-${label}-${i}` },
    spec: { serviceAccountName: `sa-${i % 50}`, containers: [{ name: "app", image: "app:1" }] },
    status: {},
  };
  const create = options.operation === "CREATE";
  if (!create) {
    pod.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    pod.spec.nodeName = "node-1";
    pod.status.phase = "Running";
  }
  return JSON.stringify({
    apiVersion: options.apiVersion,
    kind: "AdmissionReview",
    request: {
      uid: `u-${label}-${options.operation}-${i}`,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: options.namespace,
      name,
      operation: options.operation,
      userInfo: { username: "system:admin" },
      object: create ? pod : null,
      oldObject: create ? null : pod,
      dryRun: false,
      options: create
        ? { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" }
        : { kind: "DeleteOptions", apiVersion: "meta.k8s.io/v1", gracePeriodSeconds: 0 },
    },
  });
}

let denied = 0;
let warned = 0;

function post(i) {
  const body = review(i);
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
        const chunks = [];
        res.on("data", (chunk) => chunks.push(chunk));
        res.on("end", () => {
          const elapsed = performance.now() - started;
          if (res.statusCode !== 200) {
            reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
            return;
          }
          const answer = JSON.parse(Buffer.concat(chunks).toString()).response ?? {};
          if (answer.allowed !== true) denied++;
          if ((answer.warnings ?? []).length > 0) warned++;
          resolve(elapsed);
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
if (options.warmup) await Promise.all(Array.from({ length: connections }, (_, i) => post(-1 - i)));
denied = 0;
warned = 0;
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
  `${JSON.stringify({ target: label, operation: options.operation, requests, connections, seconds: round(seconds), requestsPerSecond: Math.round(requests / seconds), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), denied, warned })}\n`,
);
