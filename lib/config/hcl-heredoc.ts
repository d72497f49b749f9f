/**
 * Heredocs: `<<EOT` then lines up to a line holding only `EOT` (blanks around it allowed), the text
 * being the lines in between, each with its line break. `<<-EOT` also removes the indentation the
 * lines have in common, counted over the lines that are not blank, as HCL2 (and so the previous
 * parser) did; HCL v1 removed the closing marker's indentation instead, which gives the same text
 * whenever the marker is indented like the lines. Nothing inside a heredoc is an escape, and
 * `${...}` is kept as written.
 */

export type ScannedHeredoc =
  | { readonly ok: true; readonly value: string; readonly end: number; readonly newlines: number }
  | { readonly ok: false; readonly reason: string };

const OPENER = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)/y;
const REST_OF_OPENER_LINE = /[ \t]*\r?\n/y;

/**
 * Scan the heredoc whose `<<` is at `start`; `end` is the offset of the line break after the
 * closing marker (or the end of the text). Undefined when no marker follows `<<` (not a heredoc).
 */
export function scanHeredoc(text: string, start: number): ScannedHeredoc | undefined {
  OPENER.lastIndex = start;
  const opener = OPENER.exec(text);
  if (!opener) return undefined;
  const flush = opener[1] === "-";
  const marker = opener[2] as string;
  REST_OF_OPENER_LINE.lastIndex = OPENER.lastIndex;
  if (!REST_OF_OPENER_LINE.test(text)) {
    return { ok: false, reason: `heredoc <<${marker}: its text starts on the line after the marker` };
  }
  const bodyStart = REST_OF_OPENER_LINE.lastIndex;
  let newlines = 1;
  let lineStart = bodyStart;
  while (lineStart < text.length) {
    const lineEnd = endOfLine(text, lineStart);
    if (text.slice(lineStart, lineEnd).replace(/^[ \t]+|[ \t\r]+$/g, "") === marker) {
      const body = text.slice(bodyStart, lineStart);
      return { ok: true, value: flush ? removeCommonIndent(body) : body, end: lineEnd, newlines };
    }
    newlines += 1;
    lineStart = lineEnd + 1;
  }
  return { ok: false, reason: `unterminated heredoc <<${marker}` };
}

function endOfLine(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end === -1 ? text.length : end;
}

/** Removes from each non-blank line the smallest indentation (spaces and tabs) of those lines. */
function removeCommonIndent(body: string): string {
  const lines = body.split("\n");
  const isBlank = (line: string) => /^[ \t]*\r?$/.test(line);
  const indents = lines.filter((line) => !isBlank(line)).map((line) => /^[ \t]*/.exec(line)?.[0].length ?? 0);
  if (indents.length === 0) return body;
  // A loop, not Math.min(...indents): a spread of many lines would overflow the stack.
  const common = indents.reduce((smallest, indent) => Math.min(smallest, indent));
  return lines.map((line) => (isBlank(line) ? line : line.slice(common))).join("\n");
}
