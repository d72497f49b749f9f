/**
 * Go `fmt`'s formatting of single scalars under one verb and its flags (width, precision, `-`, `+`, `#`,
 * ` `, `0`): strings (%s %q %x %X %v), integers (%d %b %o %O %x %X %c %q %U %v), booleans (%t %v) and
 * floats (%v %g %e %f ...; correctly rounded except for exact decimal ties).
 */
import { goQuote, goQuoteRune, goQuoteToAscii } from "../go-text.js";

/** The flags and sizes of one formatting directive. */
export interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  plusV: boolean;
  sharpV: boolean;
  width: number | undefined;
  precision: number | undefined;
}

export function noFlags(): Flags {
  return {
    plus: false,
    minus: false,
    sharp: false,
    space: false,
    zero: false,
    plusV: false,
    sharpV: false,
    width: undefined,
    precision: undefined,
  };
}

/** Pads `text` to the width (counted in runes): zeros only on the left, and only with the `0` flag. */
export function pad(text: string, flags: Flags, zero = flags.zero): string {
  if (flags.width === undefined || flags.width === 0) return text;
  const missing = flags.width - [...text].length;
  if (missing <= 0) return text;
  if (flags.minus) return text + " ".repeat(missing);
  return (zero ? "0" : " ").repeat(missing) + text;
}

function truncate(text: string, flags: Flags): string {
  if (flags.precision === undefined) return text;
  return [...text].slice(0, flags.precision).join("");
}

/** A string under %v, %s, %q, %x or %X; undefined for any other verb (a bad verb). */
export function formatString(text: string, verb: string, flags: Flags): string | undefined {
  switch (verb) {
    case "v":
      return flags.sharpV ? quoteString(text, { ...flags, sharp: false }) : pad(truncate(text, flags), flags);
    case "s":
      return pad(truncate(text, flags), flags);
    case "q":
      return quoteString(text, flags);
    case "x":
    case "X":
      return hexBytes([...new TextEncoder().encode(text)], verb, flags);
    default:
      return undefined;
  }
}

function quoteString(text: string, flags: Flags): string {
  const truncated = truncate(text, flags);
  if (flags.sharp && canBackquote(truncated)) return pad(`\`${truncated}\``, flags);
  return pad(flags.plus ? goQuoteToAscii(truncated) : goQuote(truncated), flags);
}

function canBackquote(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    if (char === "`" || char === "\ufeff" || (code < 0x20 && char !== "\t") || code === 0x7f) return false;
  }
  return true;
}

/** Bytes in hex (Go's `fmtSbx`): the precision limits the bytes, ` ` spaces them, `#` adds 0x. */
export function hexBytes(bytes: readonly number[], verb: string, flags: Flags): string {
  const digits = verb === "X" ? "0123456789ABCDEF" : "0123456789abcdef";
  const shown = flags.precision === undefined ? bytes : bytes.slice(0, flags.precision);
  let out = "";
  shown.forEach((byte, index) => {
    if (flags.space && index > 0) out += " ";
    if (flags.sharp && (flags.space || index === 0)) out += verb === "X" ? "0X" : "0x";
    out += (digits[byte >> 4] ?? "") + (digits[byte & 15] ?? "");
  });
  return pad(out, flags);
}

/** A boolean under %t or %v. */
export function formatBool(truth: boolean, verb: string, flags: Flags): string | undefined {
  return verb === "t" || verb === "v" ? pad(truth ? "true" : "false", flags) : undefined;
}

/** An integer (signed or not) under an integer verb; undefined for a bad verb. */
export function formatInteger(
  value: bigint,
  signed: boolean,
  verb: string,
  flags: Flags,
): string | undefined {
  switch (verb) {
    case "v":
      return flags.sharpV && !signed
        ? integerDigits(value, 16, verb, { ...flags, sharp: true })
        : integerDigits(value, 10, verb, flags);
    case "d":
      return integerDigits(value, 10, verb, flags);
    case "b":
      return integerDigits(value, 2, verb, flags);
    case "o":
    case "O":
      return integerDigits(value, 8, verb, flags);
    case "x":
      return integerDigits(value, 16, verb, flags);
    case "X":
      return integerDigits(value, 16, verb, flags, true);
    case "c":
      return pad(String.fromCodePoint(validRune(value)), flags);
    case "q":
      return pad(goQuoteRune(Number(value)), flags);
    case "U":
      return formatUnicode(value, flags);
    default:
      return undefined;
  }
}

function validRune(value: bigint): number {
  const code = Number(value);
  return value >= 0n && value <= 0x10ffffn && !(code >= 0xd800 && code <= 0xdfff) ? code : 0xfffd;
}

function formatUnicode(value: bigint, flags: Flags): string {
  let text = `U+${value
    .toString(16)
    .toUpperCase()
    .padStart(flags.precision ?? 4, "0")}`;
  if (flags.sharp && value >= 0n && value <= 0x10ffffn)
    text += ` '${String.fromCodePoint(validRune(value))}'`;
  return pad(text, flags, false);
}

function integerDigits(value: bigint, base: number, verb: string, flags: Flags, upper = false): string {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  let minimum = 0;
  if (flags.precision !== undefined) {
    minimum = flags.precision;
    if (minimum === 0 && magnitude === 0n) return pad("", flags, false);
  } else if (flags.zero && !flags.minus && flags.width !== undefined) {
    minimum = flags.width - (negative || flags.plus || flags.space ? 1 : 0);
  }
  let digits = magnitude.toString(base);
  if (upper) digits = digits.toUpperCase();
  digits = digits.padStart(minimum, "0");
  if (flags.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && !digits.startsWith("0")) digits = `0${digits}`;
    else if (base === 16) digits = `${upper ? "0X" : "0x"}${digits}`;
  }
  if (verb === "O") digits = `0o${digits}`;
  const sign = negative ? "-" : flags.plus ? "+" : flags.space ? " " : "";
  return pad(sign + digits, flags, false);
}

/** A float64 under a float verb; undefined for a bad verb. */
export function formatFloat(value: number, verb: string, flags: Flags): string | undefined {
  switch (verb) {
    case "v":
      return floatText(value, "g", flags.precision ?? -1, flags);
    case "g":
    case "G":
      return floatText(value, verb, flags.precision ?? -1, flags);
    case "e":
    case "E":
    case "f":
    case "F":
      return floatText(value, verb, flags.precision ?? 6, flags);
    default:
      return undefined;
  }
}

function floatText(value: number, verb: string, precision: number, flags: Flags): string {
  let body: string;
  if (Number.isNaN(value)) body = "NaN";
  else if (!Number.isFinite(value)) body = "Inf";
  else body = finiteFloat(Math.abs(value), verb, precision);
  const negative = value < 0 || Object.is(value, -0);
  const sign = negative ? "-" : flags.plus ? "+" : flags.space ? " " : "";
  if (!Number.isFinite(value))
    return pad(
      Number.isNaN(value) ? (flags.plus ? "+NaN" : flags.space ? " NaN" : "NaN") : sign + body,
      flags,
      false,
    );
  if (flags.zero && !flags.minus && flags.width !== undefined) {
    return sign + body.padStart(flags.width - sign.length, "0");
  }
  return pad(sign + body, flags, false);
}

function finiteFloat(value: number, verb: string, precision: number): string {
  const lower = verb.toLowerCase();
  const exact = exactDecimal(value);
  if (lower === "f") {
    const rounded = roundDigits(exact, exact.point + precision);
    return fixedFromDigits(rounded.digits, rounded.point, precision);
  }
  if (lower === "e") return exponentForm(roundDigits(exact, precision + 1), precision, verb === "E");
  // %g as strconv does it: shortest digits (precision -1) or `precision` significant digits (trailing zeros
  // dropped), then %e when the exponent is below -4 or at least the precision (6 for the shortest form).
  const shortest = precision === -1;
  const significant = shortest ? undefined : Math.max(precision, 1);
  const { digits, point } =
    significant === undefined ? shortestDigits(value) : trimZeros(roundDigits(exact, significant));
  const count = digits.length;
  const exponent = point - 1;
  let limit = significant ?? 6;
  if (!shortest && limit > count && count >= point) limit = count;
  if (exponent < -4 || exponent >= limit) {
    const kept = Math.min(significant ?? count, count);
    return exponentForm({ digits, point }, kept - 1, verb === "G");
  }
  const kept = significant !== undefined && significant <= point ? significant : count;
  return fixedFromDigits(digits, point, Math.max(kept - point, 0));
}

/** Decimal digits with the decimal point after `point` of them (`point` may be negative or past the end). */
interface Decimal {
  readonly digits: string;
  readonly point: number;
}

/** The exact decimal expansion of a non-negative double (every double is m * 2^e, exactly decimal). */
function exactDecimal(value: number): Decimal {
  if (value === 0) return { digits: "0", point: 1 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  if (exponent >= 0) {
    const digits = (mantissa << BigInt(exponent)).toString();
    return { digits, point: digits.length };
  }
  const digits = (mantissa * 5n ** BigInt(-exponent)).toString();
  return trimZeros({ digits, point: digits.length + exponent });
}

/** Keeps the first `keep` digits, rounding half to even (ties are exact here). */
function roundDigits(decimal: Decimal, keep: number): Decimal {
  const { digits, point } = decimal;
  if (keep >= digits.length) return decimal;
  if (keep < 0) return { digits: "0", point: point - keep };
  const next = digits.charCodeAt(keep) - 48;
  const rest = digits.slice(keep + 1);
  const previousOdd = keep > 0 && (digits.charCodeAt(keep - 1) - 48) % 2 === 1;
  const up = next > 5 || (next === 5 && (/[1-9]/.test(rest) || previousOdd));
  const kept = digits.slice(0, keep);
  if (!up) return { digits: kept === "" ? "0" : kept, point: kept === "" ? point - keep + 1 : point };
  const incremented = (BigInt(kept === "" ? "0" : kept) + 1n).toString();
  if (kept === "") return { digits: incremented, point: point + 1 };
  return incremented.length > kept.length
    ? { digits: incremented, point: point + 1 }
    : { digits: incremented.padStart(kept.length, "0"), point };
}

function trimZeros(decimal: Decimal): Decimal {
  const digits = decimal.digits.replace(/0+$/, "");
  return digits === "" ? { digits: "0", point: 1 } : { digits, point: decimal.point };
}

/** The shortest digits that read back as `value` (JavaScript and Go agree on them). */
function shortestDigits(value: number): Decimal {
  if (value === 0) return { digits: "0", point: 1 };
  const [mantissa = "0", exponent = "0"] = value.toExponential().split("e");
  return trimZeros({ digits: mantissa.replace(".", ""), point: Number(exponent) + 1 });
}

/** `digits` with the decimal point after `point` of them, and exactly `fraction` fractional digits. */
function fixedFromDigits(digits: string, point: number, fraction: number): string {
  const whole = point <= 0 ? "0" : digits.slice(0, point).padEnd(point, "0");
  const rest = point < 0 ? "0".repeat(-point) + digits : digits.slice(Math.max(point, 0));
  const fractional = rest.slice(0, fraction).padEnd(fraction, "0");
  return fraction === 0 ? whole : `${whole}.${fractional}`;
}

/** `d.ddde±XX` with `fraction` digits after the point. */
function exponentForm(decimal: Decimal, fraction: number, upper: boolean): string {
  const isZero = /^0*$/.test(decimal.digits);
  const digits = decimal.digits.padEnd(fraction + 1, "0");
  const mantissa = fraction === 0 ? digits.slice(0, 1) : `${digits[0]}.${digits.slice(1, fraction + 1)}`;
  return `${mantissa}${upper ? "E" : "e"}${exponentSuffix(isZero ? 0 : decimal.point - 1)}`;
}

function exponentSuffix(exponent: number): string {
  const sign = exponent < 0 ? "-" : "+";
  return `${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

/** A complex128 under a float verb: `(re+imi)`. */
export function formatComplex(re: number, im: number, verb: string, flags: Flags): string | undefined {
  const inner = { ...flags, width: undefined };
  const real = formatFloat(re, verb, inner);
  const imaginary = formatFloat(im, verb, { ...inner, plus: true });
  if (real === undefined || imaginary === undefined) return undefined;
  return pad(`(${real}${imaginary}i)`, flags, false);
}
