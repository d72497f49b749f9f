/**
 * Splits HCL text into tokens (see hcl-token.ts) in one pass, without recursion. Blanks and comments
 * (`#` and `//` to the end of the line, `/* ... *\/`) are skipped, and line breaks only advance the
 * line count: HCL v1 gave them no meaning between tokens (`a = 1, b = 2` on one line is fine).
 *
 * The nesting of `{` and `[` is counted here, so text nested deeper than MAX_NESTING ends in an
 * error token before the parser, which recurses once per level, reaches that depth.
 */
import { scanHeredoc } from "./hcl-heredoc.js";
import { scanNumber, startsNumber } from "./hcl-number.js";
import { quoteText } from "./hcl-quote.js";
import { scanString } from "./hcl-string.js";
import type { Punct, Token } from "./hcl-token.js";
import { MAX_NESTING, NESTING_REASON } from "./source-limits.js";

/**
 * Identifiers of HCL v1 (letters, digits, `_`, `-` and `.`) and HCL2 (Unicode letters); `true`,
 * `false` and `null` are words too, told apart by the parser.
 */
const WORD = /[\p{L}_][\p{L}\p{N}\p{Mn}\p{Mc}_.-]*/uy;
const PUNCT = new Set<string>(["=", ":", ",", "{", "}", "[", "]"]);

/** Tokenize `text`. The list ends with one `end` token, or with an `error` token at the first problem. */
export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let depth = 0;
  // A byte-order mark some editors write is not part of the configuration.
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stop = (start: number, reason: string): Token[] => {
    tokens.push({ kind: "error", line, start, reason });
    return tokens;
  };

  while (i < text.length) {
    const start = i;
    const ch = text[i] as string;
    if (ch === "\n") {
      line += 1;
      i += 1;
    } else if (ch === " " || ch === "\t" || ch === "\r") {
      i += 1;
    } else if (ch === "#" || (ch === "/" && text[i + 1] === "/")) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
    } else if (ch === "/" && text[i + 1] === "*") {
      const close = text.indexOf("*/", i + 2);
      if (close === -1) return stop(start, "unterminated /* comment");
      line += countNewlines(text, i, close);
      i = close + 2;
    } else if (ch === '"') {
      const scanned = scanString(text, i);
      if (!scanned.ok) return stop(start, scanned.reason);
      tokens.push({ kind: "string", value: scanned.value, line, start });
      line += scanned.newlines;
      i = scanned.end;
    } else if (ch === "<" && text[i + 1] === "<") {
      const scanned = scanHeredoc(text, i);
      if (scanned === undefined) return stop(start, 'unexpected "<"');
      if (!scanned.ok) return stop(start, scanned.reason);
      tokens.push({ kind: "heredoc", value: scanned.value, line, start });
      line += scanned.newlines;
      i = scanned.end;
    } else if (startsNumber(text, i)) {
      const scanned = scanNumber(text, i);
      if (!scanned.ok) return stop(start, scanned.reason);
      tokens.push({ kind: "number", value: scanned.value, line, start });
      i = scanned.end;
    } else if (PUNCT.has(ch)) {
      if (ch === "{" || ch === "[") {
        depth += 1;
        if (depth > MAX_NESTING) return stop(start, NESTING_REASON);
      } else if (ch === "}" || ch === "]") {
        depth = Math.max(0, depth - 1);
      }
      tokens.push({ kind: "punct", text: ch as Punct, line, start });
      i += 1;
    } else {
      WORD.lastIndex = i;
      const word = WORD.exec(text);
      if (!word)
        return stop(start, `unexpected ${quoteText(String.fromCodePoint(text.codePointAt(i) ?? 0))}`);
      tokens.push({ kind: "word", text: word[0], line, start });
      i = WORD.lastIndex;
    }
  }
  tokens.push({ kind: "end", line, start: text.length });
  return tokens;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += 1) if (text.charCodeAt(i) === 10) count += 1;
  return count;
}
