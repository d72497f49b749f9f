/**
 * `npm run bench:scale`: the registrar in reconcile mode on a living cluster of 50,000 pods in
 * Deployments on 1,000 kwok nodes: cold start against the direct-write floor, a rolling update of a
 * tenth of the Deployments, the deletion of half the namespaces (method: docs/benchmarks.md (i);
 * settings: scale/settings.ts). Prints progress, then a table and the goals; writes every figure to
 * BENCH_OUTPUT (.tmp/bench-scale.json). It fails only when a step failed (after printing everything).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { CLUSTER_PEERS } from "../e2e/harness/cluster.js";
import { skipWithoutPeers } from "../e2e/harness/peers.js";
import { createProgress } from "./compare/progress.js";
import { REPO_ROOT } from "./compare/systems/project-process.js";
import { exitOnSignals } from "./exit-on-signal.js";
import { scaleNotes, scaleTable } from "./scale/report.js";
import { runScale } from "./scale/run-scale.js";
import { readScaleSettings } from "./scale/settings.js";

const SIX_HOURS_MS = 6 * 60 * 60 * 1000;
const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

exitOnSignals();

describe.skipIf(skipWithoutPeers(PEERS))("scale", () => {
  it(
    "keeps SPIRE in step with 50,000 pods",
    async () => {
      const settings = readScaleSettings(process.env);
      const progress = createProgress((line) => process.stderr.write(`${line}\n`), 5_000, "scale");
      const output = resolve(REPO_ROOT, settings.output);
      try {
        const results = await runScale({
          settings,
          progress,
          logsDir: resolve(REPO_ROOT, ".tmp", "bench-scale-logs"),
        });
        await mkdir(dirname(output), { recursive: true });
        await writeFile(output, `${JSON.stringify(results, null, 2)}\n`);
        const notes = scaleNotes(results);
        process.stdout.write(`\n${scaleTable(results)}\n\n${notes.map((n) => `- ${n}`).join("\n")}\n`);
        process.stdout.write(`\n[scale] every figure is in ${output}\n`);
        expect(results.error).toBeUndefined();
      } finally {
        progress.stop();
      }
    },
    SIX_HOURS_MS,
  );
});
