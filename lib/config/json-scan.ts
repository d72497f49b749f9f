/**
 * Where the top-level keys of a JSON object are written. `JSON.parse` keeps the last of repeated
 * keys silently and reports no lines, so duplicate and unknown-key messages need this.
 */
import type { KeyPosition } from "./key-position.js";
import { MAX_NESTING, NESTING_REASON } from "./source-limits.js";

/** Top-level keys of a JSON object text with their 1-based lines. Assumes `text` is valid JSON. */
export function scanJsonKeys(text: string): KeyPosition[] {
  const keys: KeyPosition[] = [];
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "\n") line += 1;
    else if (ch === "{" || ch === "[") depth += 1;
    else if (ch === "}" || ch === "]") depth -= 1;
    else if (ch === '"') {
      const start = i;
      i = jsonStringEnd(text, i + 1);
      if (depth === 1 && /^\s*:/.test(text.slice(i + 1, i + 64))) {
        keys.push({ name: JSON.parse(text.slice(start, i + 1)) as string, line });
      }
    }
  }
  return keys;
}

/**
 * `line N: ...` when the arrays and objects of a JSON text nest deeper than MAX_NESTING (what is
 * built from the parsed value recurses over it). Iterative; assumes nothing about validity.
 */
export function jsonNestingError(text: string): string | undefined {
  let depth = 0;
  let line = 1;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "\n") line += 1;
    else if (ch === '"') i = jsonStringEnd(text, i + 1);
    else if (ch === "{" || ch === "[") {
      depth += 1;
      if (depth > MAX_NESTING) return `line ${line}: ${NESTING_REASON}`;
    } else if (ch === "}" || ch === "]") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

/** The 1-based line of a character offset. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i += 1) if (text[i] === "\n") line += 1;
  return line;
}

function jsonStringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    if (text[i] === "\\") i += 1;
    else if (text[i] === '"') return i;
  }
  return text.length;
}
