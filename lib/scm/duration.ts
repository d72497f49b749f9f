/**
 * Kubernetes `metav1.Duration` strings, as SCM's `ttl`, `jwtTtl`, `x509SVIDTTL` and `jwtSVIDTTL` carry them:
 * Go's `time.ParseDuration` syntax (`[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, units ns us µs μs ms s m h, the bare
 * `0`), with Go's error messages. Durations are exact nanoseconds (bigint) because SCM compares the declared
 * duration with SPIRE's whole seconds: a TTL of `1.5s` is sent as 1 s and differs on every pass (scm-model §5).
 */
import { fail, ok, type Result } from "../spiffe/result.js";

const NANOSECONDS_PER_SECOND = 1_000_000_000n;
const MAX_DURATION = (1n << 63n) - 1n;
const OVERFLOW = 1n << 63n;

const UNITS: ReadonlyMap<string, bigint> = new Map([
  ["ns", 1n],
  ["us", 1_000n],
  ["\u00b5s", 1_000n], // U+00B5 MICRO SIGN
  ["\u03bcs", 1_000n], // U+03BC GREEK SMALL LETTER MU
  ["ms", 1_000_000n],
  ["s", NANOSECONDS_PER_SECOND],
  ["m", 60n * NANOSECONDS_PER_SECOND],
  ["h", 3600n * NANOSECONDS_PER_SECOND],
]);

/** Parses a Go duration string into nanoseconds; the error is Go's (`time: invalid duration "x"`). */
export function parseGoDuration(text: string): Result<bigint> {
  const invalid = (): Result<bigint> => fail(`time: invalid duration ${quoteDuration(text)}`);
  let rest = text;
  let negative = false;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    negative = rest.startsWith("-");
    rest = rest.slice(1);
  }
  if (rest === "0") return ok(0n);
  if (rest === "") return invalid();
  let total = 0n;
  while (rest !== "") {
    const term = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest);
    const whole = term?.[1] ?? "";
    const fraction = term?.[2];
    if (whole === "" && (fraction === undefined || fraction === "")) return invalid();
    rest = rest.slice(term?.[0].length ?? 0);
    const unitText = /^[^.0-9]*/.exec(rest)?.[0] ?? "";
    if (unitText === "") return fail(`time: missing unit in duration ${quoteDuration(text)}`);
    rest = rest.slice(unitText.length);
    const unit = UNITS.get(unitText);
    if (unit === undefined) {
      return fail(`time: unknown unit ${quoteDuration(unitText)} in duration ${quoteDuration(text)}`);
    }
    const value = termValue(whole, fraction ?? "", unit);
    if (value === undefined) return invalid();
    total += value;
    if (total > OVERFLOW) return invalid();
  }
  if (negative) return ok(-total);
  if (total > MAX_DURATION) return invalid();
  return ok(total);
}

/**
 * One `<digits>[.<digits>]<unit>` term in nanoseconds, computed as Go does: the integer part exactly, the
 * fraction through float64 (so `1.1h` rounds the way Go rounds), undefined on overflow.
 */
function termValue(whole: string, fraction: string, unit: bigint): bigint | undefined {
  const integer = BigInt(whole === "" ? "0" : whole);
  if (integer > OVERFLOW || integer > OVERFLOW / unit) return undefined;
  let value = integer * unit;
  const { numerator, scale } = leadingFraction(fraction);
  if (numerator > 0n) {
    value += BigInt(Math.trunc(Number(numerator) * (Number(unit) / scale)));
    if (value > OVERFLOW) return undefined;
  }
  return value;
}

/** The fraction's digits as an integer and its float64 scale, ignoring digits past int64 precision (as Go). */
function leadingFraction(digits: string): { numerator: bigint; scale: number } {
  let numerator = 0n;
  let scale = 1;
  for (const digit of digits) {
    const next = numerator * 10n + BigInt(digit);
    if (numerator > MAX_DURATION / 10n || next > OVERFLOW) break;
    numerator = next;
    scale *= 10;
  }
  return { numerator, scale };
}

/**
 * Decodes a `metav1.Duration` JSON value: absent is zero, a string is parsed, anything else fails as Go's
 * decoder fails (`null` reads as an empty string; a number as `json: cannot unmarshal number into Go value
 * of type string`). The Kubernetes API server only stores strings here (the CRDs declare `type: string`).
 */
export function decodeDuration(json: unknown): Result<bigint> {
  if (json === undefined) return ok(0n);
  if (json === null) return parseGoDuration("");
  if (typeof json === "string") return parseGoDuration(json);
  return fail(`json: cannot unmarshal ${jsonKind(json)} into Go value of type string`);
}

function jsonKind(json: unknown): string {
  if (typeof json === "number" || typeof json === "bigint") return "number";
  if (typeof json === "boolean") return "bool";
  return Array.isArray(json) ? "array" : "object";
}

/**
 * Seconds as SCM sends a TTL to SPIRE: Go's `int32(d / time.Second)`, truncated toward zero and wrapped to
 * 32 bits like Go's integer conversion.
 */
export function durationToSeconds(nanoseconds: bigint): number {
  return Number(BigInt.asIntN(32, nanoseconds / NANOSECONDS_PER_SECOND));
}

/** Whole seconds (as SPIRE returns a TTL) as a duration in nanoseconds. */
export function secondsToDuration(seconds: number): bigint {
  return BigInt(seconds) * NANOSECONDS_PER_SECOND;
}

/** Go's `time` package quoting: `"` and `\` escaped, bytes of control and non-ASCII characters as `\xNN`. */
function quoteDuration(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || code >= 0x80) {
      for (const byte of new TextEncoder().encode(char)) out += `\\x${byte.toString(16).padStart(2, "0")}`;
    } else {
      out += char === '"' || char === "\\" ? `\\${char}` : char;
    }
  }
  return `${out}"`;
}
