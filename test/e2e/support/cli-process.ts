/**
 * The `registrar` CLI as an operator runs it: its own Node process. bin/registrar.ts is bundled
 * from the sources into a temp dir (rolldown, about a second), so the test needs no `npm run build`
 * and sees process-level behaviour (exit codes, unsettled top-level awaits, timers) that an
 * in-process `main()` call hides.
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { rolldown } from "rolldown";
import type { CommandResult } from "../harness/process.js";

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

/**
 * Runs `node <cli> <args>` to completion; a non-zero exit is a result. `env` replaces the
 * environment (default: this process's).
 */
export function runCli(
  cli: string,
  args: string[],
  env?: NodeJS.ProcessEnv,
  timeoutMs = 60_000,
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { timeout: timeoutMs, maxBuffer: 16 << 20, ...(env ? { env } : {}) },
      (error, stdout, stderr) => {
        if (error === null) resolve({ code: 0, stdout, stderr });
        else if (typeof error.code === "number") resolve({ code: error.code, stdout, stderr });
        else reject(new Error(`registrar ${args.join(" ")}: ${error.message}\n${stderr}`, { cause: error }));
      },
    );
  });
}
