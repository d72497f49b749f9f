/**
 * SPIRE client throughput (`npm run bench:spire`; figures only): a real spire-server from the e2e
 * harness (sqlite datastore, memory key manager), entries per second for create, list and delete
 * through the client over the server's Unix socket, for each batch size and concurrency, the median
 * of BENCH_RUNS runs (default 3) per cell. BENCH_ENTRIES (default 10,000) entries per run;
 * batch size 1 is one RPC per entry, so it uses BENCH_ENTRIES_BATCH1 (default 1,000).
 */
import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../lib/planner/entry.js";
import { createSpireClient, type SpireResult } from "../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { type SpireServer, startSpireServer } from "../e2e/harness/spire.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10_000);
const ENTRIES_BATCH1 = Number(process.env.BENCH_ENTRIES_BATCH1 ?? 1_000);
const BATCH_SIZES = [1, 50, 200];
const CONCURRENCIES = [1, 4];
const TD = "example.org";

function specs(count: number): { parentId: string; specs: EntrySpec[] } {
  const run = randomUUID();
  const parentId = `spiffe://${TD}/bench/node-${run}`;
  return {
    parentId,
    specs: Array.from({ length: count }, (_, i) => ({
      spiffeId: `spiffe://${TD}/bench/${run}/w-${i}`,
      parentId,
      selectors: [{ type: "k8s", value: `pod-uid:${run}-${i}` }],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    })),
  };
}

function value<T>(result: SpireResult<T>, what: string): T {
  if (!result.ok) throw new Error(`${what} failed: ${result.error.message}`, { cause: result.error });
  return result.value;
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const result = await work();
  return { value: result, seconds: (performance.now() - started) / 1000 };
}

const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** One create -> list -> delete cycle: entries per second of each step. */
async function measure(socketPath: string, batchSize: number, concurrency: number, count: number) {
  const client = createSpireClient({
    transport: createUnixSocketTransport(socketPath),
    logger: pino({ level: "silent" }),
    batchSize: { create: batchSize, update: batchSize, delete: batchSize },
    concurrency,
    timeoutMs: 60_000,
  });
  try {
    const { parentId, specs: wanted } = specs(count);
    const created = await timed(async () => value(await client.createEntries(wanted), "create"));
    expect(created.value.every((r) => r.ok && !r.existed)).toBe(true);
    const listed = await timed(async () => value(await client.listEntries({ parentId }), "list"));
    expect(listed.value).toHaveLength(count);
    const deleted = await timed(async () =>
      value(await client.deleteEntries(listed.value.map((e) => e.id)), "delete"),
    );
    expect(deleted.value.every((r) => r.ok && r.existed)).toBe(true);
    return { create: count / created.seconds, list: count / listed.seconds, delete: count / deleted.seconds };
  } finally {
    client.close();
  }
}

describe.skipIf(skipWithoutPeers(["spire-server"]))("SPIRE client throughput", () => {
  let server: SpireServer | undefined;
  beforeAll(async () => {
    server = await startSpireServer({ trustDomain: TD });
  });
  afterAll(() => server?.stop());

  it("creates, lists and deletes entries at each batch size and concurrency", {
    timeout: 3_600_000,
  }, async () => {
    if (!server) throw new Error("spire-server did not start");
    const rows: string[] = [];
    for (const batchSize of BATCH_SIZES) {
      for (const concurrency of CONCURRENCIES) {
        const count = batchSize === 1 ? ENTRIES_BATCH1 : ENTRIES;
        const runs: Array<Awaited<ReturnType<typeof measure>>> = [];
        for (let run = 0; run < RUNS; run++)
          runs.push(await measure(server.socketPath, batchSize, concurrency, count));
        const cell = (step: "create" | "list" | "delete") => Math.round(median(runs.map((r) => r[step])));
        rows.push(
          `| ${batchSize} | ${concurrency} | ${count} | ${cell("create")} | ${cell("list")} | ${cell("delete")} |`,
        );
      }
    }
    process.stdout.write(
      `\nSPIRE client throughput, entries/s, median of ${RUNS} runs (Unix socket, sqlite, list page 1000)\n\n` +
        "| batch size | concurrency | entries | create/s | list/s | delete/s |\n|---:|---:|---:|---:|---:|---:|\n" +
        `${rows.join("\n")}\n`,
    );
  });
});
