/**
 * `npm run bench:admission`: webhook mode side by side with the seed's own registrar v0.11.1. In
 * each round, interleaved (the order alternates), each webhook runs as its own process on a fresh
 * SPIRE server of its release (the project: today's, 1.13.3; the original: v0.11.1, whose legacy
 * Registration API it speaks), same PKI, same configuration, same load: BENCH_REQUESTS [2,000] pod
 * CREATE AdmissionReviews (v1beta1, a new pod each) at every concurrency of BENCH_CONCURRENCY
 * [1,4,32] from a separate process (scripts/admission-load.mjs, keep-alive mutual TLS), then the
 * final DELETE (grace period 0) of the pods created at BENCH_DELETE_CONCURRENCY [4], at that
 * concurrency. The entry count is checked after each system run. The same round measures both
 * servers' own write floors (admission/floor.ts). BENCH_ROUNDS [3]; BENCH_NODE and BENCH_NODE_ARGS
 * as in bench:compare; BENCH_SYSTEMS [project,original,floors] selects. Prints medians with min-max; writes everything to BENCH_OUTPUT
 * (.tmp/bench-admission.json). Asserts no timing; fails only when a run failed.
 */
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { readEntries } from "../e2e/harness/entries.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createPki, type Pki } from "../e2e/harness/pki.js";
import { type SpireServer, startSpireServer } from "../e2e/harness/spire.js";
import { makeRunDir } from "../e2e/harness/tmp.js";
import {
  currentBatchedFloor,
  currentSingleFloor,
  type FloorFigures,
  legacySingleFloor,
} from "./admission/floor.js";
import { startWebhook, type WebhookName } from "./admission/webhooks.js";
import { cpuSeconds, memoryMiB } from "./compare/proc-stats.js";
import { max, median, min } from "./compare/stats.js";
import { REPO_ROOT } from "./compare/systems/project-process.js";

const run = promisify(execFile);
const env = process.env;
const count = (name: string, fallback: number) => {
  const value = Number(env[name] || fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${env[name]}: want an integer >= 1`);
  return value;
};
const settings = {
  rounds: count("BENCH_ROUNDS", 3),
  requests: count("BENCH_REQUESTS", 2000),
  concurrencies: (env.BENCH_CONCURRENCY || "1,4,32").split(",").map(Number),
  deleteConcurrency: count("BENCH_DELETE_CONCURRENCY", 4),
  node: {
    path: env.BENCH_NODE || process.execPath,
    args: (env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
  },
  output: env.BENCH_OUTPUT || ".tmp/bench-admission.json",
  systems: (env.BENCH_SYSTEMS || "project,original,floors").split(","),
};
if (!settings.concurrencies.includes(settings.deleteConcurrency))
  throw new Error("BENCH_DELETE_CONCURRENCY must be one of BENCH_CONCURRENCY (its pods are deleted)");

interface LoadFigures {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly denied: number;
  readonly warned: number;
}

interface PhaseFigures extends LoadFigures {
  readonly phase: string;
  /** CPU milliseconds per request of the webhook process and of its SPIRE server. */
  readonly webhookCpuMsPerRequest: number;
  readonly serverCpuMsPerRequest: number;
}

interface SystemRun {
  readonly round: number;
  readonly system: WebhookName;
  readonly listeningMs: number;
  readonly peakRssMiB: number;
  readonly phases: readonly PhaseFigures[];
  readonly entries: { readonly expected: number; readonly found: number };
}

interface FloorRun {
  readonly round: number;
  readonly server: "1.13.3" | "v0.11.1";
  readonly single: Record<string, FloorFigures>;
  readonly batched?: FloorFigures;
}

async function load(
  pki: Pki,
  port: number,
  label: string,
  connections: number,
  operation: "CREATE" | "DELETE",
): Promise<LoadFigures> {
  const options = { apiVersion: "admission.k8s.io/v1beta1", operation, warmup: operation === "CREATE" };
  const { stdout } = await run(
    process.execPath,
    [
      join(REPO_ROOT, "scripts", "admission-load.mjs"),
      String(port),
      pki.ca.certPath,
      pki.webhookClient.certPath,
      pki.webhookClient.keyPath,
      String(settings.requests),
      String(connections),
      label,
      JSON.stringify(options),
    ],
    { maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as LoadFigures;
}

async function runSystem(round: number, system: WebhookName, pki: Pki, dir: string): Promise<SystemRun> {
  const server = await startSpireServer({
    release: system === "project" ? "current" : "v0.11.1",
    logLevel: "INFO",
  });
  try {
    const serving = await pki.issueServerCert(`serving-${system}-${round}`, ["127.0.0.1", "localhost"]);
    const webhook = await startWebhook(system, {
      dir,
      server,
      serving,
      caCertPath: pki.ca.certPath,
      client: pki.webhookClient,
      node: settings.node,
    });
    try {
      const phases: PhaseFigures[] = [];
      const measured = async (phase: string, work: () => Promise<LoadFigures>) => {
        const serverPid = server.pid() ?? 0;
        const [webhookBefore, serverBefore] = [cpuSeconds(webhook.process.pid), cpuSeconds(serverPid)];
        const figures = await work();
        const [webhookAfter, serverAfter] = [cpuSeconds(webhook.process.pid), cpuSeconds(serverPid)];
        const perRequest = (before?: number, after?: number) =>
          Math.round((((after ?? 0) - (before ?? 0)) * 1e6) / settings.requests) / 1000;
        phases.push({
          phase,
          ...figures,
          webhookCpuMsPerRequest: perRequest(webhookBefore, webhookAfter),
          serverCpuMsPerRequest: perRequest(serverBefore, serverAfter),
        });
        log(`round ${round} ${system} ${phase}: ${JSON.stringify(phases.at(-1))}`);
      };
      for (const c of settings.concurrencies) {
        await measured(`create c=${c}`, () => load(pki, webhook.port, `c${c}`, c, "CREATE"));
      }
      const d = settings.deleteConcurrency;
      await measured(`delete c=${d}`, () => load(pki, webhook.port, `c${d}`, d, "DELETE"));
      const peakRssMiB = Math.round(memoryMiB(webhook.process.pid)?.hwm ?? 0);
      const warmups = settings.concurrencies.reduce((sum, c) => sum + c, 0);
      const expected = 1 + settings.concurrencies.length * settings.requests + warmups - settings.requests;
      const found = (await readEntries(server)).length;
      return {
        round,
        system,
        listeningMs: webhook.listeningMs,
        peakRssMiB,
        phases,
        entries: { expected, found },
      };
    } finally {
      await webhook.process.stop();
    }
  } finally {
    await server.stop();
  }
}

async function runFloor(round: number, release: "current" | "v0.11.1"): Promise<FloorRun> {
  const server: SpireServer = await startSpireServer({ release, logLevel: "INFO" });
  try {
    const single: Record<string, FloorFigures> = {};
    for (const c of settings.concurrencies) {
      single[`c=${c}`] =
        release === "current"
          ? await currentSingleFloor(server, `f${c}`, settings.requests, c)
          : await legacySingleFloor(server, `f${c}`, settings.requests, c);
    }
    const batched =
      release === "current" ? await currentBatchedFloor(server, "batched", settings.requests) : undefined;
    const figures: FloorRun = {
      round,
      server: release === "current" ? "1.13.3" : "v0.11.1",
      single,
      ...(batched ? { batched } : {}),
    };
    log(`round ${round} floor ${figures.server}: ${JSON.stringify(figures)}`);
    return figures;
  } finally {
    await server.stop();
  }
}

function log(line: string): void {
  process.stderr.write(`[admission] ${line}\n`);
}

/** `median [min-max]` of the numbers, rounded to `digits`. */
function cell(values: readonly number[], digits = 0): string {
  if (values.length === 0) return "n/a";
  const f = (value: number) => value.toFixed(digits);
  return `${f(median(values))} [${f(min(values))}-${f(max(values))}]`;
}

function table(systems: readonly SystemRun[], floors: readonly FloorRun[]): string {
  const of = (system: WebhookName) => systems.filter((r) => r.system === system);
  const phase = (system: WebhookName, name: string, pick: (p: PhaseFigures) => number) =>
    of(system).flatMap((r) => r.phases.filter((p) => p.phase === name).map(pick));
  const ratio = (a: readonly number[], b: readonly number[]) =>
    a.length && b.length ? (median(a) / median(b)).toFixed(2) : "n/a";
  const rows: string[][] = [["figure", "project", "original v0.11.1", "project / original"]];
  const row = (name: string, a: number[], b: number[], digits = 0) =>
    rows.push([name, cell(a, digits), cell(b, digits), ratio(a, b)]);
  const phases = [
    ...settings.concurrencies.map((c) => `create c=${c}`),
    `delete c=${settings.deleteConcurrency}`,
  ];
  for (const name of phases) {
    row(
      `${name}: requests/s`,
      phase("project", name, (p) => p.requestsPerSecond),
      phase("original", name, (p) => p.requestsPerSecond),
    );
    row(
      `${name}: p50 ms`,
      phase("project", name, (p) => p.p50Ms),
      phase("original", name, (p) => p.p50Ms),
      1,
    );
    row(
      `${name}: p99 ms`,
      phase("project", name, (p) => p.p99Ms),
      phase("original", name, (p) => p.p99Ms),
      1,
    );
    row(
      `${name}: webhook CPU ms/request`,
      phase("project", name, (p) => p.webhookCpuMsPerRequest),
      phase("original", name, (p) => p.webhookCpuMsPerRequest),
      2,
    );
    row(
      `${name}: SPIRE server CPU ms/request`,
      phase("project", name, (p) => p.serverCpuMsPerRequest),
      phase("original", name, (p) => p.serverCpuMsPerRequest),
      2,
    );
  }
  row(
    "peak RSS MiB",
    of("project").map((r) => r.peakRssMiB),
    of("original").map((r) => r.peakRssMiB),
  );
  row(
    "listening after spawn, ms",
    of("project").map((r) => r.listeningMs),
    of("original").map((r) => r.listeningMs),
  );
  const floor = (server: FloorRun["server"], pick: (f: FloorRun) => number | undefined) =>
    floors.filter((f) => f.server === server).flatMap((f) => pick(f) ?? []);
  for (const c of settings.concurrencies) {
    row(
      `server floor, one entry per RPC, c=${c}: entries/s`,
      floor("1.13.3", (f) => f.single[`c=${c}`]?.entriesPerSecond),
      floor("v0.11.1", (f) => f.single[`c=${c}`]?.entriesPerSecond),
    );
  }
  row(
    "server floor, BatchCreateEntry of 50, 4 in flight: entries/s",
    floor("1.13.3", (f) => f.batched?.entriesPerSecond),
    [],
  );
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows as [string[], ...string[][]];
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

describe.skipIf(skipWithoutPeers(["spire-server", "spire-server-v0.11.1", "k8s-workload-registrar-v0.11.1"]))(
  "admission side by side",
  () => {
    it(
      "runs the project's pod-admission and the original v0.11.1 on the same load",
      async () => {
        const runDir = await makeRunDir("bench-admission", log);
        const pki = await createPki(join(runDir.path, "pki"));
        const systems: SystemRun[] = [];
        const floors: FloorRun[] = [];
        const failures: string[] = [];
        try {
          for (let round = 1; round <= settings.rounds; round++) {
            const order: WebhookName[] = round % 2 === 1 ? ["project", "original"] : ["original", "project"];
            for (const system of order.filter((name) => settings.systems.includes(name))) {
              try {
                systems.push(await runSystem(round, system, pki, runDir.path));
              } catch (error) {
                failures.push(`round ${round} ${system}: ${(error as Error).message}`);
              }
            }
            for (const release of settings.systems.includes("floors")
              ? (["current", "v0.11.1"] as const)
              : []) {
              try {
                floors.push(await runFloor(round, release));
              } catch (error) {
                failures.push(`round ${round} floor ${release}: ${(error as Error).message}`);
              }
            }
          }
          const output = resolve(REPO_ROOT, settings.output);
          await mkdir(dirname(output), { recursive: true });
          await writeFile(output, `${JSON.stringify({ settings, systems, floors, failures }, null, 2)}\n`);
          process.stdout.write(`\n${table(systems, floors)}\n\n[admission] every figure is in ${output}\n`);
          for (const r of systems) {
            if (r.entries.found !== r.entries.expected)
              failures.push(
                `round ${r.round} ${r.system}: ${r.entries.found} entries, expected ${r.entries.expected}`,
              );
            for (const p of r.phases) {
              if (p.denied > 0 || p.warned > 0)
                failures.push(
                  `round ${r.round} ${r.system} ${p.phase}: ${p.denied} denied, ${p.warned} warned`,
                );
            }
          }
          expect(failures).toEqual([]);
        } finally {
          await runDir.remove();
        }
      },
      6 * 60 * 60 * 1000,
    );
  },
);
