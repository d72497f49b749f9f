/** Runs the CLI's `main` in-process, as the unit tests of its commands do, collecting what it prints. */
import { main } from "../../../bin/main.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runMain(argv: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}
