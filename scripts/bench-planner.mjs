#!/usr/bin/env node
// Planner benchmark (run by `npm run bench:planner`): derive + diff for a synthetic cluster of
// 10,000 pods on 1,000 nodes with 2,000 Endpoints (reconcile mode, DNS names on) against 11,000
// current entries. The pure planner and the generator (test/bench/planner.bench-data.ts) are
// compiled with tsconfig.bench.json into .tmp/bench-build first. Prints the median and spread of
// BENCH_RUNS timed runs after a warm-up, and the heap used. Goal: <= 100 ms and <= 100 MB.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 3;
const GOAL = { ms: 100, heapMb: 100 };
const OUT = ".tmp/bench-build";

const compiled = spawnSync(join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.bench.json"], {
  stdio: "inherit",
});
if (compiled.status !== 0) {
  console.error("bench-planner: compiling the planner failed");
  process.exit(1);
}
const load = (path) => import(pathToFileURL(join(process.cwd(), OUT, path)).href);
const planner = await load("lib/planner/index.js");
const data = await load("test/bench/planner.bench-data.js");

const gc = globalThis.gc ?? (() => undefined);
const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const config = data.benchConfig();
const snapshot = data.benchSnapshot(data.LARGE_CLUSTER);
const isOwned = planner.ownershipFor(config);
const current = data.benchCurrentEntries(planner.deriveReconcileEntries(snapshot, config).desired);

gc();
const heapBefore = process.memoryUsage().heapUsed;
const deriveTimes = [];
const diffTimes = [];
function once() {
  const started = performance.now();
  const derivation = planner.deriveReconcileEntries(snapshot, config);
  const derived = performance.now();
  const plan = planner.diff(derivation.desired, current, isOwned);
  deriveTimes.push(derived - started);
  diffTimes.push(performance.now() - derived);
  return { derivation, plan };
}

for (let i = 0; i < WARMUP; i++) once();
deriveTimes.length = 0;
diffTimes.length = 0;
const times = [];
// CPU time of the process during a run: less disturbed than wall time on a busy machine.
const cpuTimes = [];
let peakHeap = 0;
let last;
for (let i = 0; i < RUNS; i++) {
  gc();
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  last = once();
  times.push(performance.now() - started);
  const cpu = process.cpuUsage(cpuStarted);
  cpuTimes.push((cpu.user + cpu.system) / 1000);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
}

const { derivation, plan } = last;
const result = {
  pods: snapshot.pods.length,
  nodes: snapshot.nodes.length,
  endpoints: snapshot.endpoints.length,
  currentEntries: current.length,
  desired: derivation.desired.length,
  plan: { create: plan.create.length, update: plan.update.length, delete: plan.delete.length },
  runs: RUNS,
  medianMs: Number(median(times).toFixed(1)),
  minMs: Number(Math.min(...times).toFixed(1)),
  maxMs: Number(Math.max(...times).toFixed(1)),
  medianCpuMs: Number(median(cpuTimes).toFixed(1)),
  medianDeriveMs: Number(median(deriveTimes).toFixed(1)),
  medianDiffMs: Number(median(diffTimes).toFixed(1)),
  heapUsedMb: Number(mb(peakHeap)),
  heapForInputsMb: Number(mb(heapBefore)),
  heapDeltaMb: Number(mb(peakHeap - heapBefore)),
  gcExposed: typeof globalThis.gc === "function",
};
console.log(JSON.stringify(result, null, 2));
const ok = result.medianMs <= GOAL.ms && result.heapUsedMb <= GOAL.heapMb;
console.log(
  `planner derive+diff: median ${result.medianMs} ms (goal <= ${GOAL.ms}), heap used ${result.heapUsedMb} MB (goal <= ${GOAL.heapMb}) -> ${ok ? "within goal" : "OVER GOAL"}`,
);
