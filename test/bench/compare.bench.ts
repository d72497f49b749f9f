/**
 * `npm run bench:compare`: the project side by side with the Go registrar v1.5.6,
 * spire-controller-manager v0.6.6 and the SPIRE write floor, on one real kube-apiserver, each run
 * with a fresh spire-server (method: docs/benchmarks.md (g); settings: compare/settings.ts). Prints
 * progress, then a table of medians; writes every figure to BENCH_OUTPUT (.tmp/bench-compare.json).
 * It asserts nothing about timings; it fails only when a run failed (after printing everything).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createProgress } from "./compare/progress.js";
import { summaryNotes, summaryTable } from "./compare/report.js";
import { runComparison } from "./compare/run-comparison.js";
import { readSettings } from "./compare/settings.js";
import { selectedSystems } from "./compare/systems/index.js";
import { REPO_ROOT } from "./compare/systems/project-process.js";
import { exitOnSignals } from "./exit-on-signal.js";

const SIX_HOURS_MS = 6 * 60 * 60 * 1000;

exitOnSignals();

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server"]))("side by side", () => {
  it(
    "runs every system on the same workloads",
    async () => {
      const settings = readSettings(process.env);
      const progress = createProgress((line) => process.stderr.write(`${line}\n`));
      const output = resolve(REPO_ROOT, settings.output);
      try {
        const results = await runComparison({
          settings,
          systems: selectedSystems(settings),
          progress,
          logsDir: resolve(REPO_ROOT, ".tmp", "bench-compare-logs"),
        });
        await mkdir(dirname(output), { recursive: true });
        await writeFile(output, `${JSON.stringify(results, null, 2)}\n`);
        const notes = summaryNotes(results);
        process.stdout.write(`\n${summaryTable(results)}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`);
        process.stdout.write(`\n[compare] every figure is in ${output}\n`);
        expect(
          results.runs.filter((run) => !run.ok).map((run) => `${run.workload} r${run.round} ${run.system}`),
        ).toEqual([]);
      } finally {
        progress.stop();
      }
    },
    SIX_HOURS_MS,
  );
});
