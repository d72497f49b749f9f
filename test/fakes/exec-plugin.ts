/**
 * A kubeconfig exec credential plugin for tests: a small Node script that counts its runs in a file
 * and prints an ExecCredential whose token names the run (`tok-<run>-<first argument>`). The
 * environment steers it: `EXPIRES` sets `status.expirationTimestamp`, `FAIL` makes it exit 3 with a
 * message on stderr, `OUTPUT` replaces what it prints. It echoes the apiVersion it was asked for.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ExecPluginScript {
  /** Absolute path of the executable script. */
  readonly path: string;
  /** The file it counts runs in (pass as RUNS_FILE in its environment). */
  readonly runsFile: string;
  /** Runs so far. */
  runs(): number;
  /** KUBERNETES_EXEC_INFO of the last run. */
  lastExecInfo(): unknown;
}

export function writeExecPlugin(dir: string, name = "plugin.mjs"): ExecPluginScript {
  const path = join(dir, name);
  const runsFile = join(dir, `${name}.runs`);
  const infoFile = join(dir, `${name}.info`);
  writeFileSync(
    path,
    `#!${process.execPath}
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
appendFileSync(${JSON.stringify(runsFile)}, "x");
writeFileSync(${JSON.stringify(infoFile)}, process.env.KUBERNETES_EXEC_INFO ?? "");
if (process.env.FAIL) {
  process.stderr.write("plugin says no\\n");
  process.exit(3);
}
if (process.env.OUTPUT !== undefined) {
  process.stdout.write(process.env.OUTPUT);
  process.exit(0);
}
const run = readFileSync(${JSON.stringify(runsFile)}, "utf8").length;
const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);
const status = { token: \`tok-\${run}-\${process.argv[2] ?? ""}\` };
if (process.env.EXPIRES) status.expirationTimestamp = process.env.EXPIRES;
process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: "ExecCredential", status }));
`,
  );
  chmodSync(path, 0o755);
  return {
    path,
    runsFile,
    runs: () => (existsSync(runsFile) ? readFileSync(runsFile, "utf8").length : 0),
    lastExecInfo: () => JSON.parse(readFileSync(infoFile, "utf8")),
  };
}
