/**
 * Config text -> validated, frozen `Config`. Order: syntax, repeated keys, value types (all
 * reported together), then the original's semantic checks (`checks.ts`). Unknown keys are
 * warnings naming the closest known key; keys of another mode are accepted silently, as the
 * original accepted them.
 */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { validatePlannerConfig } from "../planner/validate-config.js";
import { checkDraft, type DraftConfig } from "./checks.js";
import { closestKey } from "./closest-key.js";
import {
  clusterSpiffeIdSettings,
  configFromControllerManagerConfig,
  isControllerManagerConfig,
} from "./cluster-spiffeid-config.js";
import { type DecodedValue, decodeValue, parseDurationMs } from "./coerce.js";
import { type Config, isPlannerMode, type LogFormat, type LogLevelName, type Mode } from "./config.js";
import type { KeyPosition } from "./key-position.js";
import { CONFIG_KEYS, findKey, type KeySpec } from "./keys.js";
import { readSource } from "./read-source.js";
import type { Result } from "./result.js";
import { ConfigSchema } from "./schema.js";

/** A loaded config and the warnings (unknown keys) to show the operator. */
export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

/** Errors are complete messages, each prefixed with the file path. */
export type ConfigResult = Result<LoadedConfig, string[]>;

const DECODE = "unable to decode configuration: ";
const COMMON_DECODE = `error parsing common config: ${DECODE}`;
const KNOWN_KEYS = CONFIG_KEYS.map((spec) => spec.key);

/** How a file that cannot be read is described, by error code. */
const FILE_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: "no such file",
  EACCES: "permission denied",
  EISDIR: "it is a directory",
};

/** Read and parse the config file at `path` (the CLI's `-config`). */
export function loadConfig(path: string): ConfigResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "";
    const reason = FILE_PROBLEMS[code] ?? (error instanceof Error ? error.message : String(error));
    return {
      ok: false,
      error: [
        `${path}: unable to load configuration: ${reason} (the file is the one -config names, else REGISTRAR_CONFIG, else k8s-workload-registrar.conf in the working directory)`,
      ],
    };
  }
  return parseConfig(text, path);
}

/** Parse config `text`; `path` only names the file in messages. Pure; never throws. */
export function parseConfig(text: string, path: string): ConfigResult {
  if (isControllerManagerConfig(text)) return configFromControllerManagerConfig(text, path, undefined);
  // Unknown keys found so far go with the errors: a misspelt key often explains one.
  const warnings: string[] = [];
  const fail = (messages: string[]): ConfigResult => ({
    ok: false,
    error: [...messages.map((message) => `${path}: ${message}`), ...warnings],
  });

  const source = readSource(text);
  if (!source.ok) return fail([COMMON_DECODE + source.error]);
  const { values, keys } = source.value;
  const lineOf = (key: string) => keys.find((position) => position.name.toLowerCase() === key)?.line;
  const at = (key: string) => {
    const line = lineOf(key);
    return line === undefined ? "" : ` (line ${line})`;
  };

  const repeated = repeatedKeyErrors(keys);
  if (repeated.length > 0) return fail(repeated.map((message) => COMMON_DECODE + message));

  const errors: string[] = [];
  const decoded = new Map<KeySpec, DecodedValue>();
  for (const [name, raw] of Object.entries(values)) {
    const spec = findKey(name);
    if (!spec) {
      const suggestion = closestKey(name, KNOWN_KEYS);
      const hint = suggestion === undefined ? "" : `; did you mean "${suggestion}"?`;
      warnings.push(`${path}: unknown key ${JSON.stringify(name)}${at(name.toLowerCase())}${hint}`);
      continue;
    }
    if (raw === null) continue;
    const value = decodeValue(spec.kind, raw);
    if (value.ok) decoded.set(spec, value.value);
    else {
      const prefix = spec.scope === "common" ? COMMON_DECODE : DECODE;
      errors.push(`${prefix}${spec.key}: ${value.error}${at(spec.key)}`);
    }
  }
  if (errors.length > 0) return fail(errors);

  const draft = Object.fromEntries(
    CONFIG_KEYS.map((spec) => [spec.field, withDefault(spec, decoded.get(spec))]),
  ) as unknown as DraftConfig;
  const rawMode = draft.mode as string;
  const rawLogLevel = draft.logLevel as string;
  const rawLogFormat = draft.logFormat as string;
  const checkErrors = checkDraft(draft, {
    hasContext: decoded.has(findKey("context") as KeySpec),
    rawMode,
    rawLogLevel,
    rawLogFormat,
    lineOf,
  });
  if (checkErrors.length > 0) return fail(checkErrors);

  draft.mode = rawMode as Mode;
  draft.logLevel = rawLogLevel.toLowerCase() as LogLevelName;
  draft.logFormat = (rawLogFormat.toLowerCase() || "json") as LogFormat;
  draft.spireTimeoutMs = parseDurationMs(draft.spireTimeout) as number;
  const parsed = v.parse(ConfigSchema, draft);
  // Each message starts with its key (`cluster: ...`): add the key's line.
  const withLine = (message: string) => `${message}${at(message.split(":")[0] ?? "")}`;
  if (!isPlannerMode(parsed)) {
    const settings = clusterSpiffeIdSettings(
      parsed,
      decoded.has(findKey("entry_id_prefix_cleanup") as KeySpec),
    );
    if (!settings.ok) return fail(settings.error.map(withLine));
    warnings.push(...settings.value.warnings.map((warning) => `${path}: ${warning}`));
    return {
      ok: true,
      value: { config: freeze({ ...parsed, clusterSpiffeId: settings.value.config }), warnings },
    };
  }
  // What the original only found at run time (an ID that cannot be built, a template that does
  // not parse) is a configuration error here, so a bad file never reaches the planner.
  const plannerErrors = validatePlannerConfig(parsed);
  if (!plannerErrors.ok) return fail(plannerErrors.error.map(withLine));
  const config = parsed;
  return { ok: true, value: { config: freeze(config), warnings } };
}

/** The value of a key after the original's defaulting rules (see `KeySpec.default`). */
function withDefault(spec: KeySpec, value: DecodedValue | undefined): unknown {
  const isEmpty = value === undefined || value === "" || (spec.kind === "int" && value === 0);
  if (spec.kind === "bool" || spec.kind === "stringList" || spec.kind === "stringMap") {
    return value ?? spec.default;
  }
  return isEmpty ? spec.default : value;
}

/** One message per key written more than once (case-insensitively), naming every line. */
function repeatedKeyErrors(keys: readonly KeyPosition[]): string[] {
  const linesByKey = new Map<string, number[]>();
  for (const { name, line } of keys) {
    const lower = name.toLowerCase();
    linesByKey.set(lower, [...(linesByKey.get(lower) ?? []), line]);
  }
  const messages: string[] = [];
  for (const [key, lines] of linesByKey) {
    if (lines.length < 2) continue;
    const listed = `${lines.slice(0, -1).join(", ")} and ${lines.at(-1)}`;
    messages.push(`key ${JSON.stringify(key)} is repeated on lines ${listed}`);
  }
  return messages;
}

function freeze(config: Config): Config {
  Object.freeze(config.disabledNamespaces);
  Object.freeze(config.dnsNameTemplates);
  Object.freeze(config.context);
  Object.freeze(config.ignoreNamespaces);
  return Object.freeze(config);
}
