#!/usr/bin/env node
// SPIRE client throughput benchmark (run by `npm run bench:spire`, which builds first).
// Starts a real spire-server (sqlite datastore, memory key manager, join_token attestor, as the
// e2e harness does) in a short temp dir and measures entries per second for create, list and
// delete through the built client over the server's Unix socket, for each batch size and
// concurrency. Prints the median of BENCH_RUNS runs (default 3) per cell.
// Env: PEERS_BIN (dir with spire-server; default the peers cache), BENCH_RUNS, BENCH_ENTRIES
// (default 10000), BENCH_ENTRIES_BATCH1 (default 1000: batch size 1 is one RPC per entry).
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { createSpireClient } from "../dist/lib/spire/client.js";
import { createUnixSocketTransport } from "../dist/lib/spire/transport.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 10_000);
const ENTRIES_BATCH1 = Number(process.env.BENCH_ENTRIES_BATCH1 ?? 1_000);
const BATCH_SIZES = [1, 50, 200];
const CONCURRENCIES = [1, 4];
const TRUST_DOMAIN = "example.org";

function peersBin() {
  if (process.env.PEERS_BIN) return process.env.PEERS_BIN;
  const cache =
    process.env.PEERS_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "spire-registrar-peers");
  return join(cache, "bin");
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts spire-server and waits for its healthcheck; returns its socket and a stop function. */
async function startSpireServer() {
  const binary = join(peersBin(), "spire-server");
  // Short path: Unix socket paths are limited to ~107 bytes.
  const dir = mkdtempSync("/tmp/bench-spire-");
  const socketPath = join(dir, "s.sock");
  const dataDir = join(dir, "data");
  mkdirSync(dataDir);
  const configPath = join(dir, "server.conf");
  writeFileSync(
    configPath,
    `server {
  bind_address = "127.0.0.1"
  bind_port = "${await freePort()}"
  socket_path = "${socketPath}"
  trust_domain = "${TRUST_DOMAIN}"
  data_dir = "${dataDir}"
  log_level = "WARN"
}
plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = "${join(dataDir, "datastore.sqlite3")}"
    }
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
  KeyManager "memory" {
    plugin_data {}
  }
}
`,
  );
  const log = openSync(join(dir, "spire-server.log"), "a");
  const child = spawn(binary, ["run", "-config", configPath], { stdio: ["ignore", log, log] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (const deadline = Date.now() + 30_000; ; ) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`spire-server exited with ${child.exitCode} before it was healthy (see ${binary})`);
    }
    const health = spawnSync(binary, ["healthcheck", "-socketPath", socketPath], { stdio: "ignore" });
    if (health.status === 0) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("spire-server not healthy after 30 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { socketPath, stop };
}

function specs(count) {
  const run = randomUUID();
  const parentId = `spiffe://${TRUST_DOMAIN}/bench/node-${run}`;
  return {
    parentId,
    specs: Array.from({ length: count }, (_, i) => ({
      spiffeId: `spiffe://${TRUST_DOMAIN}/bench/${run}/w-${i}`,
      parentId,
      selectors: [{ type: "k8s", value: `pod-uid:${run}-${i}` }],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    })),
  };
}

function expectOk(result, what) {
  if (!result.ok) throw new Error(`${what} failed: ${result.error.message}`, { cause: result.error });
  return result.value;
}

async function timed(work) {
  const started = performance.now();
  const value = await work();
  return { value, seconds: (performance.now() - started) / 1000 };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** One create -> list -> delete cycle; returns entries per second of each step. */
async function measure(socketPath, batchSize, concurrency, count) {
  const client = createSpireClient({
    transport: createUnixSocketTransport(socketPath),
    logger: pino({ level: "silent" }),
    batchSize: { create: batchSize, update: batchSize, delete: batchSize },
    concurrency,
    timeoutMs: 60_000,
  });
  try {
    const { parentId, specs: wanted } = specs(count);
    const created = await timed(async () => expectOk(await client.createEntries(wanted), "create"));
    if (created.value.some((r) => !r.ok || r.existed)) throw new Error("create: some items failed");
    const listed = await timed(async () => expectOk(await client.listEntries({ parentId }), "list"));
    if (listed.value.length !== count) throw new Error(`list: ${listed.value.length} of ${count}`);
    const ids = listed.value.map((entry) => entry.id);
    const deleted = await timed(async () => expectOk(await client.deleteEntries(ids), "delete"));
    if (deleted.value.some((r) => !r.ok || !r.existed)) throw new Error("delete: some items failed");
    return {
      create: count / created.seconds,
      list: count / listed.seconds,
      delete: count / deleted.seconds,
    };
  } finally {
    client.close();
  }
}

const server = await startSpireServer();
try {
  const rows = [];
  for (const batchSize of BATCH_SIZES) {
    for (const concurrency of CONCURRENCIES) {
      const count = batchSize === 1 ? ENTRIES_BATCH1 : ENTRIES;
      const runs = [];
      for (let run = 0; run < RUNS; run++)
        runs.push(await measure(server.socketPath, batchSize, concurrency, count));
      const row = {
        batchSize,
        concurrency,
        entries: count,
        create: Math.round(median(runs.map((r) => r.create))),
        list: Math.round(median(runs.map((r) => r.list))),
        delete: Math.round(median(runs.map((r) => r.delete))),
      };
      rows.push(row);
      process.stderr.write(`measured ${JSON.stringify(row)}\n`);
    }
  }
  console.log(
    `\nSPIRE client throughput, entries/s, median of ${RUNS} runs (Unix socket, sqlite, list page 1000)\n`,
  );
  console.log("| batch size | concurrency | entries | create/s | list/s | delete/s |");
  console.log("|---:|---:|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.batchSize} | ${r.concurrency} | ${r.entries} | ${r.create} | ${r.list} | ${r.delete} |`,
    );
  }
} finally {
  await server.stop();
}
