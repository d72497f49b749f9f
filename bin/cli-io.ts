/** What a CLI command may touch, injected so tests run commands in-process. */
export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A command's entry point: its own arguments (after the command name) in, exit code out. */
export type CommandRun = (args: readonly string[], io: CliIo) => Promise<number>;

/** Exit code for a misused command line (as Go's flag package uses). */
export const USAGE_EXIT_CODE = 2;

export const USAGE_LINE = "usage: registrar <command> [flags]";
