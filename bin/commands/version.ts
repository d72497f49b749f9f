/** `registrar version`: print the package version (from package.json) and exit 0. */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { CommandRun } from "../cli-io.js";

export const usage = "usage: registrar version\n";

export const run: CommandRun = async (_args, io) => {
  io.stdout.write(`${readPackageVersion()}\n`);
  return 0;
};

/** The version of the nearest package.json above this module (works from bin/ and dist/bin/). */
export function readPackageVersion(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, "package.json");
    if (existsSync(candidate))
      return (JSON.parse(readFileSync(candidate, "utf8")) as { version: string }).version;
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    directory = parent;
  }
}
