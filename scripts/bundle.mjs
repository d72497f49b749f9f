#!/usr/bin/env node
// Bundles each function and the CLI into one file per entry (run by `npm run bundle`, after
// `npm run build`): dist/bundle/functions/<name>/index.js and dist/bundle/bin/registrar.js, with
// every dependency inside. A cold start then reads one file instead of resolving and compiling
// hundreds of modules (about half the start-up time; `npm run bench:startup` compares both), and
// the image needs no node_modules. Dynamic imports are inlined: each bundle is self-contained.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rolldown } from "rolldown";

const OUT = join("dist", "bundle");
const entries = [
  ...readdirSync("functions").map((name) => join("functions", name, "index.js")),
  join("bin", "registrar.js"),
];

rmSync(OUT, { recursive: true, force: true });
for (const entry of entries) {
  const bundle = await rolldown({ input: join("dist", entry), platform: "node", logLevel: "warn" });
  await bundle.write({ file: join(OUT, entry), format: "esm", codeSplitting: false });
  await bundle.close();
}
// The bundles are ES modules wherever they are copied to; `registrar version` reads the version here.
const { name, version } = JSON.parse(readFileSync("package.json", "utf8"));
writeFileSync(join(OUT, "package.json"), `${JSON.stringify({ name, version, type: "module" }, null, 2)}\n`);
console.log(`bundled ${entries.length} entries into ${OUT}`);
