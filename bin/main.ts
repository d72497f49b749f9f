/**
 * The `registrar` command line: dispatches `registrar <command> [flags]` to a command module.
 * Returns the exit code instead of exiting so tests can run it in-process.
 */
import { type CliIo, USAGE_EXIT_CODE, USAGE_LINE } from "./cli-io.js";
import { COMMANDS } from "./commands/index.js";

const HELP_WORDS = new Set(["help", "-help", "--help", "-h"]);
const VERSION_WORDS = new Set(["-version", "--version"]);

/** Run the CLI with `argv` (without node and script path). Resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    io.stderr.write(helpText());
    return USAGE_EXIT_CODE;
  }
  if (HELP_WORDS.has(first)) {
    const topic = rest[0] === undefined ? undefined : COMMANDS[rest[0]];
    io.stdout.write(topic ? (await topic.load()).usage : helpText());
    return 0;
  }
  const command = COMMANDS[VERSION_WORDS.has(first) ? "version" : first];
  if (!command) {
    const what = first.startsWith("-") ? "unknown flag" : "unknown command";
    io.stderr.write(`registrar: ${what}: ${first}\n${helpText()}`);
    return USAGE_EXIT_CODE;
  }
  const module = await command.load();
  return module.run(rest, io);
}

function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, entry]) => `  ${name.padEnd(width)}  ${entry.summary}`);
  return `${USAGE_LINE}

SPIRE Kubernetes workload registrar.

Commands:
${lines.join("\n")}

Flags take one or two dashes (-config FILE, --config=FILE). Run "registrar help <command>" for details.
`;
}
