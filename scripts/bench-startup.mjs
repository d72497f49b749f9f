#!/usr/bin/env node
// Start-up benchmark of `registrar check-config` (run by `npm run bench:startup`, which builds first).
// Spawns the built CLI repeatedly for an HCL config and for its JSON form and prints the medians of
// (a) time from process start to "config loaded" and RSS at that point, from the CLI's
// REGISTRAR_STARTUP_PROBE line, and (b) the wall time of the whole process.
// Goal for the JSON form: <= 150 ms to loaded and <= 70 MB RSS (hcl2-parser is never loaded there).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const CLI = "dist/bin/registrar.js";
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const GOAL = { loadedMs: 150, rssMb: 70 };

const HCL = `log_level = "debug"
trust_domain = "domain.test"
cluster = "production"
server_socket_path = "/run/spire/sockets/registration.sock"
mode = "reconcile"
leader_election = true
disabled_namespaces = ["kube-system", "kube-public"]
`;
const JSON_FORM = `${JSON.stringify(
  {
    log_level: "debug",
    trust_domain: "domain.test",
    cluster: "production",
    server_socket_path: "/run/spire/sockets/registration.sock",
    mode: "reconcile",
    leader_election: true,
    disabled_namespaces: ["kube-system", "kube-public"],
  },
  null,
  2,
)}\n`;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function measure(configPath) {
  const loaded = [];
  const rss = [];
  const wall = [];
  for (let run = 0; run < RUNS; run += 1) {
    const started = performance.now();
    const child = spawnSync(process.execPath, [CLI, "check-config", "-config", configPath], {
      encoding: "utf8",
      env: { ...process.env, REGISTRAR_STARTUP_PROBE: "1" },
    });
    wall.push(performance.now() - started);
    if (child.status !== 0) throw new Error(`check-config failed (${child.status}): ${child.stderr}`);
    const probeLine = child.stderr.split("\n").find((line) => line.startsWith('{"loadedMs"'));
    if (!probeLine) throw new Error(`no startup probe in stderr: ${child.stderr}`);
    const probe = JSON.parse(probeLine);
    loaded.push(probe.loadedMs);
    rss.push(probe.rssBytes / (1024 * 1024));
  }
  return { loadedMs: median(loaded), rssMb: median(rss), wallMs: median(wall) };
}

if (!existsSync(CLI)) {
  console.error(`${CLI} not found: run "npm run build" first (npm run bench:startup does).`);
  process.exit(1);
}
const directory = mkdtempSync(join(tmpdir(), "registrar-bench-"));
try {
  const hclPath = join(directory, "registrar.conf");
  const jsonPath = join(directory, "registrar.json.conf");
  writeFileSync(hclPath, HCL);
  writeFileSync(jsonPath, JSON_FORM);
  const rows = [
    ["HCL", measure(hclPath)],
    ["JSON", measure(jsonPath)],
  ];
  console.log(`registrar check-config start-up, median of ${RUNS} runs (node ${process.version})`);
  console.log("form  loaded ms  RSS MB  wall ms");
  for (const [form, result] of rows) {
    const cells = [
      result.loadedMs.toFixed(1).padStart(9),
      result.rssMb.toFixed(1).padStart(6),
      result.wallMs.toFixed(1).padStart(7),
    ];
    console.log(`${form.padEnd(4)}  ${cells.join("  ")}`);
  }
  const json = rows[1][1];
  const met = json.loadedMs <= GOAL.loadedMs && json.rssMb <= GOAL.rssMb;
  console.log(`JSON goal (<= ${GOAL.loadedMs} ms, <= ${GOAL.rssMb} MB): ${met ? "met" : "NOT met"}`);
} finally {
  rmSync(directory, { recursive: true, force: true });
}
