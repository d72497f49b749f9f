#!/usr/bin/env node
/**
 * Regenerates the expectations of test/unit/scm/golden/*.json from spire-controller-manager v0.6.6 itself:
 * each golden file lists inputs (templates, label selectors, durations, ...); this copies oracle_test.go
 * into an SCM source tree, runs it with those inputs, and writes Go's answers back next to them. Only the
 * expected fields change; the inputs are edited by hand.
 *
 *   node scripts/scm-oracle/run.mjs <path to an extracted spire-controller-manager-v0.6.6 source tree>
 *
 * The SCM tree must build (its modules in GOMODCACHE, or a module proxy). Nothing here runs in `npm test`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const scmTree = process.argv[2];
if (scmTree === undefined) {
  console.error("usage: node scripts/scm-oracle/run.mjs <spire-controller-manager source tree>");
  process.exit(2);
}
const here = new URL(".", import.meta.url).pathname;
const golden = new URL("../../test/unit/scm/golden/", import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), "scm-oracle-"));

const source = readFileSync(join(here, "oracle_test.go"), "utf8").replace("//go:build ignore\n\n", "");
writeFileSync(join(scmTree, "pkg/spireentry/zz_oracle_test.go"), source);

/** The golden files: which input fields the oracle reads and which fields it answers. */
const ALL_SUITES = [
  { file: "templates.json", env: "ORACLE_TEMPLATES", inputs: ["name", "text", "parent"] },
  { file: "label-selectors.json", env: "ORACLE_SELECTORS", inputs: ["selector", "labels"] },
  { file: "durations.json", env: "ORACLE_DURATIONS", inputs: ["value"] },
  {
    file: "cluster-spiffeids.json",
    env: "ORACLE_CLUSTER_SPIFFEIDS",
    inputs: ["spec", "pod", "node", "nodeGone", "endpoints", "config"],
  },
  { file: "federated-trust-domains.json", env: "ORACLE_CFTDS", inputs: ["spec"] },
  { file: "static-entries.json", env: "ORACLE_STATIC_ENTRIES", inputs: ["spec"] },
  { file: "regexps.json", env: "ORACLE_REGEXPS", inputs: ["pattern", "subjects"] },
];
const SUITES = ALL_SUITES.filter((suite) => existsSync(join(golden, suite.file)));

const objects = JSON.parse(readFileSync(join(golden, "objects.json"), "utf8"));
const env = { ...process.env };
for (const suite of SUITES) {
  const cases = JSON.parse(readFileSync(join(golden, suite.file), "utf8"));
  const inputs = cases.map((entry) => ({
    ...Object.fromEntries(suite.inputs.filter((key) => key in entry).map((key) => [key, entry[key]])),
    objects,
  }));
  env[suite.env] = join(work, `${suite.file}.in`);
  env[`${suite.env}_OUT`] = join(work, `${suite.file}.out`);
  writeFileSync(env[suite.env], JSON.stringify(inputs));
}
execFileSync("go", ["test", "-count=1", "-run", "TestOracle", "./pkg/spireentry/"], {
  cwd: scmTree,
  env,
  stdio: "inherit",
});

for (const suite of SUITES) {
  const cases = JSON.parse(readFileSync(join(golden, suite.file), "utf8"));
  const answers = JSON.parse(readFileSync(env[`${suite.env}_OUT`], "utf8"));
  const updated = cases.map((entry, index) => ({
    ...Object.fromEntries(suite.inputs.filter((key) => key in entry).map((key) => [key, entry[key]])),
    ...answers[index],
  }));
  writeFileSync(join(golden, suite.file), `${JSON.stringify(updated, null, 1)}\n`);
}
execFileSync("npx", ["biome", "format", "--write", ...SUITES.map((suite) => join(golden, suite.file))], {
  stdio: "inherit",
});
console.log(`updated ${SUITES.map((suite) => suite.file).join(", ")}`);
