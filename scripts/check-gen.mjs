#!/usr/bin/env node
// Regenerates the protobuf code into a temporary directory and compares it with proto/gen.
//   node scripts/check-gen.mjs         exit 1 (listing the files) if proto/gen is stale
//   node scripts/check-gen.mjs --fix   replace proto/gen with the fresh output
// Generating into a temp dir (instead of in place) means removed .proto files leave no stale output.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const committed = "proto/gen";
const fix = process.argv.includes("--fix");

/** Relative paths of every file under dir (empty when dir is missing). */
function listFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath ?? e.path, e.name)))
    .sort();
}

const out = mkdtempSync(join(tmpdir(), "proto-gen-"));
try {
  execFileSync("npx", ["buf", "generate", "--output", out], { stdio: "inherit" });
  const fresh = join(out, committed);
  if (fix) {
    rmSync(committed, { recursive: true, force: true });
    cpSync(fresh, committed, { recursive: true });
    console.log(`gen: wrote ${listFiles(committed).length} files to ${committed}`);
  } else {
    const want = listFiles(fresh);
    const have = listFiles(committed);
    const differing = [...new Set([...want, ...have])].filter((file) => {
      if (!want.includes(file) || !have.includes(file)) return true;
      return !readFileSync(join(fresh, file)).equals(readFileSync(join(committed, file)));
    });
    if (differing.length > 0) {
      console.error(`gen:check: ${committed} is stale; run \`npm run gen\`. Differing files:`);
      for (const file of differing) console.error(`  ${file}`);
      process.exitCode = 1;
    } else {
      console.log(`gen:check: ${committed} is up to date (${want.length} files)`);
    }
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
