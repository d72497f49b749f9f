/**
 * Quoted HCL strings. Escapes are those of HCL v1 (Go's: `\n \t \r \" \\ \a \b \f \v \xHH \ooo
 * \uXXXX \UXXXXXXXX`; `\x` and octal only for ASCII, since Go made raw bytes of the rest), which
 * include HCL2's. `${...}` is not evaluated, as in HCL v1: it is kept exactly as written, braces
 * included, and inside it quotes do not end the string and line breaks are allowed (HCL v1 scanned
 * it that way). `$${` and `%{` have no special meaning either.
 */
import { quoteText } from "./hcl-quote.js";

/** A scanned string: its decoded value, the offset just past the closing quote, its line breaks. */
export type ScannedString =
  | { readonly ok: true; readonly value: string; readonly end: number; readonly newlines: number }
  | { readonly ok: false; readonly reason: string };

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  '"': '"',
  "\\": "\\",
  a: "\u0007",
  b: "\b",
  f: "\f",
  v: "\v",
};

/** Scan the string whose opening quote is at `start`. Never throws. */
export function scanString(text: string, start: number): ScannedString {
  let value = "";
  let newlines = 0;
  let braces = 0;
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i] as string;
    if (braces > 0) {
      // Inside `${...}`: copied as written.
      if (ch === "{") braces += 1;
      else if (ch === "}") braces -= 1;
      else if (ch === "\n") newlines += 1;
      value += ch;
      i += 1;
      continue;
    }
    if (ch === '"') return { ok: true, value, end: i + 1, newlines };
    if (ch === "\n") break;
    if (ch === "$" && text[i + 1] === "{") {
      braces = 1;
      value += "${";
      i += 2;
      continue;
    }
    if (ch === "\\") {
      const decoded = decodeEscape(text, i);
      if (decoded === undefined) break;
      if (!decoded.ok) return decoded;
      value += decoded.value;
      i = decoded.end;
      continue;
    }
    value += ch;
    i += 1;
  }
  return { ok: false, reason: "unterminated string" };
}

/**
 * The escape starting with the backslash at `at`; undefined when the text or the line ends first
 * (an unterminated string).
 */
function decodeEscape(
  text: string,
  at: number,
): { ok: true; value: string; end: number } | { ok: false; reason: string } | undefined {
  const kind = text[at + 1];
  if (kind === undefined || kind === "\n") return undefined;
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return { ok: true, value: simple, end: at + 2 };
  const numeric = NUMERIC_ESCAPES.find((form) => form.lead.test(kind));
  if (numeric) {
    const from = at + numeric.skip;
    let count = 0;
    while (count < numeric.digits && numeric.digit.test(text[from + count] ?? "")) count += 1;
    const code =
      count === numeric.digits ? Number.parseInt(text.slice(from, from + count), numeric.radix) : -1;
    if (code < 0 || code > numeric.max || (code >= 0xd800 && code <= 0xdfff)) {
      // Quoted as far as it goes: `"\u12"` shows as "\u12".
      return { ok: false, reason: `invalid escape ${quoteText(text.slice(at, from + count))} in a string` };
    }
    return { ok: true, value: String.fromCodePoint(code), end: from + count };
  }
  const written = `\\${String.fromCodePoint(text.codePointAt(at + 1) as number)}`;
  return {
    ok: false,
    reason: `invalid escape ${quoteText(written)} in a string (write \\\\ for a backslash)`,
  };
}

/** `\x`, octal, `\u` and `\U`: where the digits start, how many, in which radix, the largest code. */
const NUMERIC_ESCAPES = [
  { lead: /^x$/, skip: 2, digits: 2, radix: 16, digit: /^[0-9a-fA-F]$/, max: 0x7f },
  { lead: /^[0-7]$/, skip: 1, digits: 3, radix: 8, digit: /^[0-7]$/, max: 0x7f },
  { lead: /^u$/, skip: 2, digits: 4, radix: 16, digit: /^[0-9a-fA-F]$/, max: 0xffff },
  { lead: /^U$/, skip: 2, digits: 8, radix: 16, digit: /^[0-9a-fA-F]$/, max: 0x10ffff },
] as const;
