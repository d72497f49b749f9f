/**
 * Turns config text into a plain object plus where each top-level key is written. Text whose
 * first non-blank character is `{` is HCL's JSON form and is read with `JSON.parse` (hcl2-parser
 * is not loaded); anything else is HCL. Syntax errors carry a line number, found by our own
 * scanner because hcl2-parser's error object is empty.
 */
import type { HclParserLoader } from "./hcl-parser.js";
import { type KeyPosition, scanHcl } from "./hcl-scan.js";
import { lineOfOffset, scanJsonKeys } from "./json-scan.js";
import type { Result } from "./result.js";

export interface ParsedSource {
  readonly values: Readonly<Record<string, unknown>>;
  readonly keys: readonly KeyPosition[];
}

/** Parse `text`; the error is a syntax message such as `line 7: unterminated string`. */
export function readSource(text: string, loadHclParser: HclParserLoader): Result<ParsedSource, string> {
  return /^\s*\{/.test(text) ? readJson(text) : readHcl(text, loadHclParser);
}

function readJson(text: string): Result<ParsedSource, string> {
  let values: unknown;
  try {
    values = JSON.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /at position (\d+)/.exec(message);
    const where = position ? `line ${lineOfOffset(text, Number(position[1]))}: ` : "";
    return { ok: false, error: `${where}invalid JSON: ${message}` };
  }
  if (typeof values !== "object" || values === null || Array.isArray(values)) {
    return { ok: false, error: "the JSON form must be an object" };
  }
  return { ok: true, value: { values: values as Record<string, unknown>, keys: scanJsonKeys(text) } };
}

function readHcl(text: string, loadHclParser: HclParserLoader): Result<ParsedSource, string> {
  const scan = scanHcl(text);
  const parser = loadHclParser();
  const [values, parseError] = parser.parseToObject(text);
  if (values && !parseError) return { ok: true, value: { values, keys: scan.keys } };
  // The scanner is a heuristic: trust its diagnosis only once the real parser has also failed.
  if (scan.error) return { ok: false, error: `line ${scan.error.line}: ${scan.error.message}` };
  const line = firstFailingStatement(text, scan.statementLines, (prefix) => {
    const [prefixValues, prefixError] = parser.parseToObject(prefix);
    return prefixValues !== null && prefixError === null;
  });
  return { ok: false, error: line === undefined ? "syntax error" : `line ${line}: syntax error` };
}

/**
 * The line of the first top-level statement that stops the text from parsing: parse growing
 * prefixes that end just before the next statement, and return where the failing one starts.
 */
function firstFailingStatement(
  text: string,
  statementLines: readonly number[],
  parses: (prefix: string) => boolean,
): number | undefined {
  const lines = text.split("\n");
  for (const [index, start] of statementLines.entries()) {
    const nextStart = statementLines[index + 1] ?? lines.length + 1;
    if (!parses(lines.slice(0, nextStart - 1).join("\n"))) return start;
  }
  return undefined;
}
