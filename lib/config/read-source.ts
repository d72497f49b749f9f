/**
 * Turns config text into a plain object plus where each top-level key is written. Text whose
 * first non-blank character is `{` is HCL's JSON form, read with `JSON.parse`; anything else is HCL
 * (hcl-parser.ts). Both are bounded in size and nesting (source-limits.ts), and syntax errors carry
 * a line number.
 */
import { parseHcl } from "./hcl-parser.js";
import { jsonNestingError, lineOfOffset, scanJsonKeys } from "./json-scan.js";
import type { KeyPosition } from "./key-position.js";
import type { Result } from "./result.js";
import { sizeError } from "./source-limits.js";

export interface ParsedSource {
  readonly values: Readonly<Record<string, unknown>>;
  readonly keys: readonly KeyPosition[];
}

/** Parse `text`; the error is a syntax message such as `line 7: unterminated string`. Never throws. */
export function readSource(text: string): Result<ParsedSource, string> {
  return /^\s*\{/.test(text) ? readJson(text) : parseHcl(text);
}

function readJson(text: string): Result<ParsedSource, string> {
  const bounds = sizeError(text) ?? jsonNestingError(text);
  if (bounds !== undefined) return { ok: false, error: bounds };
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    // V8 sometimes quotes the text in its message: keep the message on one line.
    const message = (error instanceof Error ? error.message : String(error)).replace(/\r?\n/g, "\\n");
    const position = /at position (\d+)/.exec(message);
    const where = position ? `line ${lineOfOffset(text, Number(position[1]))}: ` : "";
    return { ok: false, error: `${where}invalid JSON: ${message}` };
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    return { ok: false, error: "the JSON form must be an object" };
  }
  return { ok: true, value: { values: values as Record<string, unknown>, keys: scanJsonKeys(text) } };
}
