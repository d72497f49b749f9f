/**
 * Number literals: integers and decimals with an optional exponent (`9443`, `1.5`, `1e3`,
 * `2.5E-3`), hexadecimal integers (`0x1F`, which HCL v1 read and HCL2 rejects), each optionally
 * negative (`-1`; HCL2 also allowed `- 1`). An integer with a leading zero (`010`) is refused: HCL v1
 * read it as octal (8) and HCL2 as decimal (10), so either reading would surprise someone.
 */
import { quoteText } from "./hcl-quote.js";

export type ScannedNumber =
  | { readonly ok: true; readonly value: number; readonly end: number }
  | { readonly ok: false; readonly reason: string };

const NUMBER = /(-[ \t]*)?(0[xX][0-9a-fA-F]+|[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)/y;
/** What may not follow a number directly (`1.2.3`, `1e`, `0x`, `12ab`). */
const TRAILING = /[\p{L}\p{N}_.]+/uy;

/** Whether a number starts at `at`: a digit, or `-` and (after blanks) a digit. */
export function startsNumber(text: string, at: number): boolean {
  let i = at;
  if (text[i] === "-") {
    i += 1;
    while (text[i] === " " || text[i] === "\t") i += 1;
  }
  const ch = text.charCodeAt(i);
  return ch >= 48 && ch <= 57;
}

/** Scan the number at `start` (where `startsNumber` holds). Never throws. */
export function scanNumber(text: string, start: number): ScannedNumber {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  if (!match) return { ok: false, reason: `invalid number ${quoteText(text.slice(start, start + 1))}` };
  const negative = match[1] !== undefined;
  const digits = match[2] as string;
  const written = `${negative ? "-" : ""}${digits}`;
  TRAILING.lastIndex = NUMBER.lastIndex;
  const trailing = TRAILING.exec(text);
  if (trailing) return { ok: false, reason: `invalid number ${quoteText(written + trailing[0])}` };
  if (/^0[0-9]+$/.test(digits)) {
    return {
      ok: false,
      reason: `ambiguous number ${quoteText(written)}: HCL v1 read a leading 0 as octal; write it without the 0`,
    };
  }
  const magnitude = /^0[xX]/.test(digits) ? Number.parseInt(digits.slice(2), 16) : Number(digits);
  if (!Number.isFinite(magnitude))
    return { ok: false, reason: `number ${quoteText(written)} is out of range` };
  // `0 - x` rather than `-x`: "-0" reads as 0, not as JavaScript's negative zero.
  return { ok: true, value: negative ? 0 - magnitude : magnitude, end: NUMBER.lastIndex };
}
