/**
 * A small flag parser shared by all commands. Accepts Go's `-flag value`, `-flag=value` and the
 * GNU-style `--flag value` / `--flag=value`; boolean flags take no value (`-flag=false` works).
 */
import type { Result } from "../lib/config/result.js";

export interface FlagSpec {
  /** Whether the flag takes a value (`-config FILE`) or is a switch (`-help`). */
  readonly takesValue: boolean;
}

export interface ParsedFlags {
  readonly values: ReadonlyMap<string, string | boolean>;
  readonly positionals: readonly string[];
}

/** Parse `args` against `specs` (keyed by flag name without dashes). The error is a usage message. */
export function parseFlags(
  args: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
): Result<ParsedFlags, string> {
  const values = new Map<string, string | boolean>();
  const positionals: string[] = [];
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (arg === "--") {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const equals = body.indexOf("=");
    const name = equals === -1 ? body : body.slice(0, equals);
    const inline = equals === -1 ? undefined : body.slice(equals + 1);
    const spec = specs[name];
    if (!spec) return { ok: false, error: `unknown flag: ${arg}` };
    if (!spec.takesValue) {
      if (inline === undefined || inline === "true") values.set(name, true);
      else if (inline === "false") values.set(name, false);
      else return { ok: false, error: `invalid value ${JSON.stringify(inline)} for switch -${name}` };
      continue;
    }
    if (inline !== undefined) {
      values.set(name, inline);
      continue;
    }
    const next = args[index + 1];
    if (next === undefined) return { ok: false, error: `flag needs an argument: -${name}` };
    values.set(name, next);
    index += 1;
  }
  return { ok: true, value: { values, positionals } };
}

/** The value of a flag that takes one, or undefined when it was not given. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values.get(name);
  return typeof value === "string" ? value : undefined;
}

/** Whether `-help`/`-h` was given (commands declare both as switches). */
export function wantsHelp(flags: ParsedFlags): boolean {
  return flags.values.get("help") === true || flags.values.get("h") === true;
}
