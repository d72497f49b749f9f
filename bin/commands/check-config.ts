/**
 * `registrar check-config [-config FILE]`: load the config as a function would, print the
 * effective configuration (every default filled in, snake_case keys) as JSON on stdout and exit
 * 0, or print each error on stderr and exit 1. Warnings always go to stderr.
 */
import { configToJson } from "../../lib/config/config-to-json.js";
import { loadConfig } from "../../lib/config/parse-config.js";
import { configPathOr, DEFAULT_CONFIG_PATH } from "../../lib/runtime/config-path.js";
import { type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";

/** How every command's usage names the default of -config. */
export const CONFIG_DEFAULT_TEXT = `REGISTRAR_CONFIG, else "${DEFAULT_CONFIG_PATH}"`;

export const usage = `usage: registrar check-config [-config FILE]

Validate a registrar configuration file and print the effective configuration as JSON.

  -config FILE   configuration file (default: ${CONFIG_DEFAULT_TEXT})
`;

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    config: { takesValue: true },
    help: { takesValue: false },
    h: { takesValue: false },
  });
  if (!flags.ok || flags.value.positionals.length > 0) {
    const reason = flags.ok ? `unexpected argument: ${flags.value.positionals[0]}` : flags.error;
    io.stderr.write(`registrar check-config: ${reason}\n${USAGE_LINE}\n${usage}`);
    return USAGE_EXIT_CODE;
  }
  if (wantsHelp(flags.value)) {
    io.stdout.write(usage);
    return 0;
  }
  const result = loadConfig(configPathOr(stringFlag(flags.value, "config"), io.env));
  if (io.env.REGISTRAR_STARTUP_PROBE === "1") {
    // Read by scripts/bench-startup.mjs: time from process start to a loaded config.
    io.stderr.write(
      `${JSON.stringify({ loadedMs: performance.now(), rssBytes: process.memoryUsage().rss })}\n`,
    );
  }
  if (!result.ok) {
    for (const message of result.error) io.stderr.write(`${message}\n`);
    return 1;
  }
  for (const warning of result.value.warnings) io.stderr.write(`warning: ${warning}\n`);
  io.stdout.write(`${JSON.stringify(configToJson(result.value.config), null, 2)}\n`);
  return 0;
};
