/**
 * Go's text conventions that SCM's messages and template output depend on: `strconv.Quote` (the `%q` verb),
 * `encoding/json`'s string form (apimachinery prints list values through it), UTF-8 byte lengths and
 * byte-order string comparison (Go sorts strings by bytes, JavaScript by UTF-16 code units).
 */

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  7: "\\a",
  8: "\\b",
  9: "\\t",
  10: "\\n",
  11: "\\v",
  12: "\\f",
  13: "\\r",
};

/** Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space. */
export function isGoPrint(char: string): boolean {
  return char === " " || PRINTABLE.test(char);
}

/** Go's `strconv.Quote`. */
export function goQuote(text: string): string {
  let out = '"';
  for (const char of text) out += quotedChar(char, '"');
  return `${out}"`;
}

/** Go's `strconv.QuoteRune` for one code point. */
export function goQuoteRune(codePoint: number): string {
  const char = isValidCodePoint(codePoint) ? String.fromCodePoint(codePoint) : "\ufffd";
  return `'${quotedChar(char, "'")}'`;
}

/** Go's `strconv.QuoteToASCII`: like `goQuote`, with every non-ASCII character escaped. */
export function goQuoteToAscii(text: string): string {
  let out = '"';
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += code < 0x80 ? quotedChar(char, '"') : unicodeEscape(code);
  }
  return `${out}"`;
}

function quotedChar(char: string, quote: string): string {
  const code = char.codePointAt(0) ?? 0;
  if (char === quote || char === "\\") return `\\${char}`;
  if (code < 0x80 && code >= 0x20 && code !== 0x7f) return char;
  const short = SHORT_ESCAPES[code];
  if (short !== undefined) return short;
  if (isSurrogate(code)) return "\\ufffd";
  if (code >= 0x80 && isGoPrint(char)) return char;
  if (code < 0x20 || code === 0x7f) return `\\x${code.toString(16).padStart(2, "0")}`;
  return unicodeEscape(code);
}

function unicodeEscape(code: number): string {
  if (isSurrogate(code)) return "\\ufffd";
  return code > 0xffff
    ? `\\U${code.toString(16).padStart(8, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

function isSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdfff;
}

function isValidCodePoint(code: number): boolean {
  return Number.isInteger(code) && code >= 0 && code <= 0x10ffff && !isSurrogate(code);
}

/** A string as Go's `json.Marshal` writes it: HTML-safe (`<`, `>`, `&` escaped), U+2028/U+2029 escaped. */
export function goJsonString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (char) => {
    return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
  });
}

/** The length of `text` in UTF-8 bytes, as Go's `len` counts a string. */
export function utf8Length(text: string): number {
  let length = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    length += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return length;
}

/** Go's string order (bytewise UTF-8, the same as code point order), for sorting like `sort.Strings`. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x === y) continue;
    // Only surrogates (code points above U+FFFF) sort differently by UTF-16 unit than by code point.
    if (isSurrogate(x) !== isSurrogate(y)) return isSurrogate(x) ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
