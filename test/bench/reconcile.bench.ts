/**
 * Reconcile-mode benchmarks on the real peers (`npm run bench:reconcile`; figures only, no timing
 * assertions): (b) a full resync of 1,000 pods on 50 nodes, cold (everything to create) and warm
 * (nothing to do), with the SPIRE RPCs it takes; (c) pod event to entry visible in SPIRE over 200
 * pod creations, through the event bridge and the k8s-events function. Results are printed and
 * written to .tmp/bench-reconcile.json.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import { DEFAULT_BATCH_SIZES, DEFAULT_PAGE_SIZE } from "../../lib/spire/client.js";
import { type ControlPlane, startControlPlane } from "../e2e/harness/kube.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { type SpireServer, startSpireServer } from "../e2e/harness/spire.js";
import { kubeObjects } from "../e2e/support/kube-objects.js";
import { e2eOutputDir } from "../e2e/support/output-dir.js";
import { type ReconcileFunctions, startReconcileFunctions } from "../e2e/support/reconcile-functions.js";
import { podEntries } from "../e2e/support/spire-entries.js";
import { type CountingSpire, countingSpire } from "./counting-spire.js";

const PODS = Number(process.env.BENCH_PODS ?? 1000);
const NODES = Number(process.env.BENCH_NODES ?? 50);
const LATENCY_PODS = Number(process.env.BENCH_LATENCY_PODS ?? 200);
const CREATE_CONCURRENCY = 20;
const logger = pino({ level: "silent" });

async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

function percentile(sorted: readonly number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server"]))("reconcile benchmarks", () => {
  let plane: ControlPlane | undefined;
  let spireServer: SpireServer | undefined;
  let fns: ReconcileFunctions | undefined;
  let counting: CountingSpire | undefined;
  let bridge: Bridge | undefined;
  let dir = "";
  const results: Record<string, unknown> = {};

  beforeAll(async () => {
    dir = await mkdtemp("/tmp/e2e-bench-");
    [plane, spireServer] = await Promise.all([
      startControlPlane(),
      startSpireServer({ trustDomain: "example.org" }),
    ]);
    fns = await startReconcileFunctions({
      dir,
      name: "bench",
      kubeconfigPath: plane.kubeconfigPath,
      socketPath: spireServer.socketPath,
      trustDomain: "example.org",
      cluster: "bench",
      config: { log_level: "info" },
      wrapSpire: (spire) => {
        counting = countingSpire(spire, {
          page: DEFAULT_PAGE_SIZE,
          create: 50, // entry_batch_size default
          update: 50,
          delete: DEFAULT_BATCH_SIZES.delete,
        });
        return counting.client;
      },
    });
  });

  afterAll(async () => {
    await bridge?.stop();
    await fns?.stop();
    await spireServer?.stop();
    await plane?.stop();
    if (dir && process.env.E2E_KEEP !== "1") await rm(dir, { recursive: true, force: true });
    const path = join(await e2eOutputDir(), "..", "bench-reconcile.json");
    await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      `\n[bench] reconcile results (also in ${path}):\n${JSON.stringify(results, null, 2)}\n`,
    );
  });

  it(`resyncs ${PODS} pods on ${NODES} nodes, cold and warm`, async () => {
    if (!plane || !fns || !counting) throw new Error("peers did not start");
    const k = kubeObjects(plane.kubeConfig);
    await k.createNamespace("bench");
    const nodes = Array.from({ length: NODES }, (_, i) => `node-${i}`);
    await inParallel(nodes, CREATE_CONCURRENCY, (name) => k.createNode(name));
    const pods = Array.from({ length: PODS }, (_, i) => i);
    const createdAt = performance.now();
    await inParallel(pods, CREATE_CONCURRENCY, (i) =>
      k.createPod({
        namespace: "bench",
        name: `pod-${i}`,
        node: `node-${i % NODES}`,
        serviceAccount: `sa-${i % 7}`,
      }),
    );
    results.setup = { pods: PODS, nodes: NODES, podCreateMs: Math.round(performance.now() - createdAt) };

    for (const phase of ["cold", "warm"] as const) {
      counting.reset();
      const started = performance.now();
      const response = await fetch(fns.resyncUrl, { method: "POST" });
      const wallMs = performance.now() - started;
      const summary = (await response.json()) as Record<string, unknown>;
      expect(response.status).toBe(200);
      results[`resync_${phase}`] = {
        wallMs: Math.round(wallMs),
        summary,
        spireRpcs: counting.total(),
        spire: { ...counting.counts },
      };
    }
  });

  it(`measures pod event to entry visible over ${LATENCY_PODS} pod creations`, async () => {
    if (!plane || !fns) throw new Error("peers did not start");
    const k = kubeObjects(plane.kubeConfig);
    await k.createNamespace("latency");
    bridge = await startBridge({
      client: plane.kube,
      resources: ["pods", "nodes", "endpointslices"],
      sink: fns.eventsUrl,
      logger,
    });
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_PODS; i++) {
      const name = `lat-${i}`;
      await k.createPod({ namespace: "latency", name, node: `node-${i % NODES}`, serviceAccount: "lat" });
      const created = performance.now();
      for (;;) {
        if ((await podEntries(fns.spire, "latency", name)).length > 0) break;
        if (performance.now() - created > 30_000) throw new Error(`no entry for ${name} after 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      latencies.push(performance.now() - created);
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    results.event_to_entry = {
      pods: LATENCY_PODS,
      p50Ms: round(percentile(sorted, 50)),
      p90Ms: round(percentile(sorted, 90)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
      pollIntervalMs: 2,
    };
    expect(latencies).toHaveLength(LATENCY_PODS);
  });
});
