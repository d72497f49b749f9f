/**
 * Decoding of raw parsed values (from HCL or JSON) into the kinds of `keys.ts`, with the
 * leniency of the original's HCL v1 decoder: booleans and numbers may be quoted, and numbers and
 * booleans are accepted where a string is expected.
 */
import type { KeyKind } from "./keys.js";
import type { Result } from "./result.js";

export type DecodedValue = string | number | boolean | string[] | Record<string, string>;

// strconv.ParseBool's spellings, which HCL v1 used for quoted booleans.
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  "1": true,
  t: true,
  T: true,
  true: true,
  TRUE: true,
  True: true,
  "0": false,
  f: false,
  F: false,
  false: false,
  FALSE: false,
  False: false,
};

const EXPECTED: Readonly<Record<KeyKind, string>> = {
  string: "a string",
  bool: "a boolean",
  int: "a number",
  stringList: "a list of strings",
  stringMap: "a block of string values",
  duration: 'a duration like "5s"',
};

/**
 * Decode `raw` as `kind`. The error is the expectation, e.g. `expected a number, got "abc"`, for
 * the caller to prefix with the key and suffix with the line.
 */
export function decodeValue(kind: KeyKind, raw: unknown): Result<DecodedValue, string> {
  const value = decodeKind(kind, raw);
  if (value !== undefined) return { ok: true, value };
  return { ok: false, error: `expected ${EXPECTED[kind]}, got ${describe(raw)}` };
}

function decodeKind(kind: KeyKind, raw: unknown): DecodedValue | undefined {
  switch (kind) {
    case "string":
      return asString(raw);
    case "bool":
      return asBoolean(raw);
    case "int":
      return asInteger(raw);
    case "stringList":
      return asStringList(raw);
    case "stringMap":
      return asStringMap(raw);
    case "duration": {
      const text = asString(raw);
      return text !== undefined && (text === "" || parseDurationMs(text) !== undefined) ? text : undefined;
    }
  }
}

function asString(raw: unknown): string | undefined {
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  return undefined;
}

function asBoolean(raw: unknown): boolean | undefined {
  if (typeof raw === "boolean") return raw;
  if (raw === 1 || raw === 0) return raw === 1;
  if (typeof raw === "string") return BOOLEAN_WORDS[raw.trim()];
  return undefined;
}

function asInteger(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isSafeInteger(raw) ? raw : undefined;
  if (typeof raw === "string" && /^\s*[+-]?\d+\s*$/.test(raw)) {
    const parsed = Number(raw);
    return Number.isSafeInteger(parsed) ? parsed : undefined;
  }
  return undefined;
}

function asStringList(raw: unknown): string[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const items = raw.map(asString);
  return items.every((item) => item !== undefined) ? (items as string[]) : undefined;
}

/** A `context { k = "v" }` block (an array of objects, see hcl-object.ts) or a plain object. */
function asStringMap(raw: unknown): Record<string, string> | undefined {
  const objects = Array.isArray(raw) ? raw : [raw];
  const merged: Record<string, string> = {};
  for (const object of objects) {
    if (typeof object !== "object" || object === null || Array.isArray(object)) return undefined;
    for (const [key, value] of Object.entries(object)) {
      const text = asString(value);
      if (text === undefined) return undefined;
      merged[key] = text;
    }
  }
  return merged;
}

function describe(raw: unknown): string {
  const isObject = (item: unknown) => typeof item === "object" && item !== null && !Array.isArray(item);
  if (Array.isArray(raw) && raw.length > 0 && raw.every(isObject)) return "a block";
  return JSON.stringify(raw) ?? String(raw);
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;

/** Milliseconds of a positive Go duration string ("5s", "1m30s", "250ms"), or undefined. */
export function parseDurationMs(text: string): number | undefined {
  let total = 0;
  let index = 0;
  while (index < text.length) {
    DURATION_PART.lastIndex = index;
    const part = DURATION_PART.exec(text);
    if (!part) return undefined;
    total += Number(part[1]) * (DURATION_UNITS_MS[part[2] as string] as number);
    index = DURATION_PART.lastIndex;
  }
  return index > 0 && total > 0 ? total : undefined;
}
