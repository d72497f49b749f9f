/**
 * Go literal syntax as text/template reads it: `strconv.Unquote` for interpreted and raw strings,
 * `strconv.UnquoteChar` for character constants, and numbers stored under every type that can hold them (Go's
 * ideal constants: `strconv.ParseInt`/`ParseUint` with base 0, `ParseFloat`, complex pairs). Errors are Go's
 * texts (`invalid syntax`, `integer overflow: "..."`, ...).
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { goQuote } from "../go-text.js";

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
};
const INVALID_SYNTAX = "invalid syntax";

/** `strconv.Unquote` of a `"..."` or `` `...` `` token. Raw strings lose their carriage returns, as in Go. */
export function unquoteString(token: string): Result<string> {
  if (token.startsWith("`")) {
    if (token.length < 2 || !token.endsWith("`")) return fail(INVALID_SYNTAX);
    return ok(token.slice(1, -1).replaceAll("\r", ""));
  }
  if (token.length < 2 || !token.startsWith('"') || !token.endsWith('"')) return fail(INVALID_SYNTAX);
  const body = token.slice(1, -1);
  const bytes: number[] = [];
  let out = "";
  const flushBytes = (): void => {
    if (bytes.length > 0) out += new TextDecoder().decode(new Uint8Array(bytes.splice(0)));
  };
  let index = 0;
  while (index < body.length) {
    const char = unquoteChar(body, index, '"');
    if (!char.ok) return char;
    if (char.value.byte !== undefined) bytes.push(char.value.byte);
    else {
      flushBytes();
      out += char.value.text;
    }
    index = char.value.next;
  }
  flushBytes();
  return ok(out);
}

interface UnquotedChar {
  /** The character, unless the escape was a single byte (`\xNN`, `\NNN`). */
  readonly text: string;
  readonly byte: number | undefined;
  readonly codePoint: number;
  readonly next: number;
}

/** `strconv.UnquoteChar`: one (possibly escaped) character of a literal quoted with `quote`. */
function unquoteChar(text: string, index: number, quote: string): Result<UnquotedChar> {
  const first = text.codePointAt(index) ?? 0;
  const firstChar = String.fromCodePoint(first);
  if (firstChar === quote && (quote === "'" || quote === '"')) return fail(INVALID_SYNTAX);
  if (firstChar !== "\\") {
    return ok({ text: firstChar, byte: undefined, codePoint: first, next: index + firstChar.length });
  }
  const escaped = text[index + 1];
  if (escaped === undefined) return fail(INVALID_SYNTAX);
  const simple = SIMPLE_ESCAPES[escaped];
  if (simple !== undefined)
    return ok({ text: simple, byte: undefined, codePoint: simple.codePointAt(0) ?? 0, next: index + 2 });
  if (escaped === "'" || escaped === '"') {
    if (escaped !== quote) return fail(INVALID_SYNTAX);
    return ok({ text: escaped, byte: undefined, codePoint: escaped.codePointAt(0) ?? 0, next: index + 2 });
  }
  const hexLength = escaped === "x" ? 2 : escaped === "u" ? 4 : escaped === "U" ? 8 : 0;
  if (hexLength > 0) {
    const digits = text.slice(index + 2, index + 2 + hexLength);
    if (digits.length !== hexLength || !/^[0-9a-fA-F]+$/.test(digits)) return fail(INVALID_SYNTAX);
    const value = Number.parseInt(digits, 16);
    const next = index + 2 + hexLength;
    if (escaped === "x") return ok({ text: "", byte: value, codePoint: value, next });
    if (value > 0x10ffff || (value >= 0xd800 && value <= 0xdfff)) return fail(INVALID_SYNTAX);
    return ok({ text: String.fromCodePoint(value), byte: undefined, codePoint: value, next });
  }
  if (escaped >= "0" && escaped <= "7") {
    const digits = text.slice(index + 1, index + 4);
    if (!/^[0-7]{3}$/.test(digits)) return fail(INVALID_SYNTAX);
    const value = Number.parseInt(digits, 8);
    if (value > 255) return fail(INVALID_SYNTAX);
    return ok({ text: "", byte: value, codePoint: value, next: index + 4 });
  }
  return fail(INVALID_SYNTAX);
}

/** The numeric views of a number literal (Go's `parse.NumberNode`). */
export interface NumberValue {
  readonly isInt: boolean;
  readonly isUint: boolean;
  readonly isFloat: boolean;
  readonly isComplex: boolean;
  readonly int64: bigint;
  readonly uint64: bigint;
  readonly float64: number;
  readonly complex: { readonly re: number; readonly im: number };
}

const MAX_UINT64 = (1n << 64n) - 1n;
const MIN_INT64 = -(1n << 63n);
const MAX_INT64 = (1n << 63n) - 1n;

/** A number, character or complex token as Go's parser reads it. */
export function parseNumberLiteral(
  text: string,
  kind: "number" | "charConstant" | "complex",
): Result<NumberValue> {
  if (kind === "charConstant") return charConstant(text);
  if (kind === "complex") {
    const pair = /^([+-]?[^+-]+(?:[eEpP][+-][0-9_]+)?)([+-].+)i$/.exec(text);
    const re = pair === null ? undefined : parseFloatGo(pair[1] ?? "");
    const im = pair === null ? undefined : parseFloatGo(pair[2] ?? "");
    if (re === undefined || im === undefined) return fail(`expected complex number: ${text}`);
    return ok(simplifyComplex(re, im));
  }
  if (text.endsWith("i")) {
    const imaginary = parseFloatGo(text.slice(0, -1));
    if (imaginary !== undefined) return ok(simplifyComplex(0, imaginary));
  }
  const unsigned = parseUintGo(text);
  const signed = parseIntGo(text);
  let value: NumberValue = {
    isInt: signed !== undefined,
    isUint: unsigned !== undefined || signed === 0n,
    isFloat: false,
    isComplex: false,
    int64: signed ?? 0n,
    uint64: unsigned ?? 0n,
    float64: 0,
    complex: { re: 0, im: 0 },
  };
  if (value.isInt) value = { ...value, isFloat: true, float64: Number(value.int64) };
  else if (value.isUint) value = { ...value, isFloat: true, float64: Number(value.uint64) };
  else {
    const float = parseFloatGo(text);
    if (float !== undefined) {
      if (!/[.eEpP]/.test(text)) return fail(`integer overflow: ${goQuote(text)}`);
      const whole = Number.isFinite(float) && Number.isInteger(float) ? BigInt(float) : undefined;
      value = {
        ...value,
        isFloat: true,
        float64: float,
        isInt: whole !== undefined && whole >= MIN_INT64 && whole <= MAX_INT64,
        int64: whole !== undefined && whole >= MIN_INT64 && whole <= MAX_INT64 ? whole : 0n,
        isUint: whole !== undefined && whole >= 0n && whole <= MAX_UINT64,
        uint64: whole !== undefined && whole >= 0n && whole <= MAX_UINT64 ? whole : 0n,
      };
    }
  }
  if (!value.isInt && !value.isUint && !value.isFloat) return fail(`illegal number syntax: ${goQuote(text)}`);
  return ok(value);
}

function charConstant(text: string): Result<NumberValue> {
  const char = unquoteChar(text, 1, "'");
  if (!char.ok) return char;
  if (text.slice(char.value.next) !== "'") return fail(`malformed character constant: ${text}`);
  const code = BigInt(char.value.codePoint);
  return ok({
    isInt: true,
    isUint: true,
    isFloat: true,
    isComplex: false,
    int64: code,
    uint64: code,
    float64: char.value.codePoint,
    complex: { re: 0, im: 0 },
  });
}

function simplifyComplex(re: number, im: number): NumberValue {
  const isFloat = im === 0;
  const whole = isFloat && Number.isFinite(re) && Number.isInteger(re) ? BigInt(re) : undefined;
  const isInt = whole !== undefined && whole >= MIN_INT64 && whole <= MAX_INT64;
  const isUint = whole !== undefined && whole >= 0n && whole <= MAX_UINT64;
  return {
    isComplex: true,
    complex: { re, im },
    isFloat,
    float64: isFloat ? re : 0,
    isInt,
    int64: isInt ? (whole ?? 0n) : 0n,
    isUint,
    uint64: isUint ? (whole ?? 0n) : 0n,
  };
}

/** `strconv.ParseUint(text, 0, 64)`, or undefined on a syntax or range error. */
function parseUintGo(text: string): bigint | undefined {
  if (text === "") return undefined;
  let base = 10;
  let digits = text;
  if (text.startsWith("0")) {
    const prefix = text[1]?.toLowerCase();
    if (text.length >= 3 && (prefix === "b" || prefix === "o" || prefix === "x")) {
      base = prefix === "b" ? 2 : prefix === "o" ? 8 : 16;
      digits = text.slice(2);
    } else {
      base = 8;
      digits = text.slice(1);
    }
  }
  let value = 0n;
  let underscores = false;
  for (const char of digits) {
    if (char === "_") {
      underscores = true;
      continue;
    }
    const digit = Number.parseInt(char, 36);
    if (Number.isNaN(digit) || digit >= base) return undefined;
    value = value * BigInt(base) + BigInt(digit);
    if (value > MAX_UINT64) return undefined;
  }
  if (underscores && !underscoreOk(text)) return undefined;
  return value;
}

/** `strconv.ParseInt(text, 0, 64)`, or undefined on a syntax or range error. */
function parseIntGo(text: string): bigint | undefined {
  const negative = text.startsWith("-");
  const unsigned = parseUintGo(text.startsWith("-") || text.startsWith("+") ? text.slice(1) : text);
  if (unsigned === undefined) return undefined;
  const value = negative ? -unsigned : unsigned;
  return value < MIN_INT64 || value > MAX_INT64 ? undefined : value;
}

/** Go's rule for `_` digit separators: only between digits, or after a base prefix. */
function underscoreOk(text: string): boolean {
  let rest = text.startsWith("-") || text.startsWith("+") ? text.slice(1) : text;
  let saw = "^";
  let hex = false;
  if (rest.length >= 2 && rest[0] === "0" && "box".includes((rest[1] ?? "").toLowerCase())) {
    saw = "0";
    hex = (rest[1] ?? "").toLowerCase() === "x";
    rest = rest.slice(2);
  }
  for (const char of rest) {
    if ((char >= "0" && char <= "9") || (hex && /[a-fA-F]/.test(char))) saw = "0";
    else if (char === "_") {
      if (saw !== "0") return false;
      saw = "_";
    } else {
      if (saw === "_") return false;
      saw = "!";
    }
  }
  return saw !== "_";
}

/** `strconv.ParseFloat(text, 64)` for the texts the scanner produces, or undefined when Go rejects them. */
export function parseFloatGo(text: string): number | undefined {
  if (text.includes("_") && !underscoreOk(text)) return undefined;
  const plain = text.replaceAll("_", "");
  const decimal = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
  if (decimal.test(plain)) return Number(plain);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(plain);
  if (hex === null || `${hex[2]}${hex[3] ?? ""}` === "") return undefined;
  const mantissa = BigInt(`0x${hex[2]}${hex[3] ?? ""}0`) / 16n;
  const exponent = Number(hex[4]) - 4 * (hex[3] ?? "").length;
  const value = Number(mantissa) * 2 ** exponent;
  return hex[1] === "-" ? -value : value;
}
