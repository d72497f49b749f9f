/**
 * The `registrar` CLI as an operator runs it: its own Node process. bin/registrar.ts is bundled
 * from the sources into a temp dir (rolldown, about a second), so the test needs no `npm run build`
 * and sees process-level behaviour (exit codes, unsettled top-level awaits, timers) that an
 * in-process `main()` call hides.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rolldown } from "rolldown";
import { type CommandResult, runCommand } from "../harness/process.js";

/** Bundles the CLI into `dir` and returns the path of the runnable file. */
export async function bundleCli(dir: string): Promise<string> {
  const file = join(dir, "registrar.mjs");
  const bundle = await rolldown({
    input: "bin/registrar.ts",
    platform: "node",
    logLevel: "warn",
    // The sources import each other as `./x.js`; the files are `./x.ts`.
    resolve: { extensionAlias: { ".js": [".ts", ".js"] } },
  });
  try {
    await bundle.write({ file, format: "esm", codeSplitting: false });
  } finally {
    await bundle.close();
  }
  // `registrar version` reads the nearest package.json; the bundle is an ES module.
  await writeFile(join(dir, "package.json"), JSON.stringify({ name: "registrar-e2e", version: "0.0.0" }));
  return file;
}

/** Runs `node <cli> <args>` to completion; a non-zero exit is a result. */
export function runCli(cli: string, args: string[], timeoutMs = 60_000): Promise<CommandResult> {
  return runCommand(process.execPath, [cli, ...args], timeoutMs);
}
