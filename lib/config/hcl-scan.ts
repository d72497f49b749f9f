/**
 * A small lexical scanner for the HCL subset a registrar config uses. hcl2-parser reports
 * neither the line of a syntax error nor where a key was written, so this finds both: the
 * top-level keys with their lines (for duplicate and unknown-key messages) and the first
 * problem it can see (unterminated string, comment or heredoc, unbalanced brackets, a line that
 * is not `key = value`, a block, a closer or a comment). It does not evaluate anything.
 */

/** A top-level key and the 1-based line it is written on. */
export interface KeyPosition {
  readonly name: string;
  readonly line: number;
}

export interface HclScan {
  readonly keys: readonly KeyPosition[];
  /** 1-based lines where top-level statements start, in order. */
  readonly statementLines: readonly number[];
  readonly error?: { readonly line: number; readonly message: string };
}

const ATTRIBUTE = /^([A-Za-z_][A-Za-z0-9_-]*)\s*=(?!=)/;
const BLOCK = /^([A-Za-z_][A-Za-z0-9_-]*)(\s+("[^"\n]*"|[A-Za-z_][A-Za-z0-9_-]*))*\s*\{/;
const HEREDOC = /^<<-?([A-Za-z_][A-Za-z0-9_-]*)[ \t]*\r?\n/;
const CLOSERS: Readonly<Record<string, string>> = { "}": "{", "]": "[", ")": "(" };

/** Scan HCL text. Pure; never throws. */
export function scanHcl(text: string): HclScan {
  const keys: KeyPosition[] = [];
  const statementLines: number[] = [];
  const open: { char: string; line: number }[] = [];
  let line = 1;
  let atLineStart = true;
  // A top-level `key =` whose value has not started yet: the value must follow on the same line.
  let awaitingValueFor: { name: string; line: number } | undefined;
  const fail = (at: number, message: string): HclScan => ({
    keys,
    statementLines,
    error: { line: at, message },
  });

  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === "\n") {
      if (awaitingValueFor)
        return fail(awaitingValueFor.line, `missing value for "${awaitingValueFor.name}"`);
      line += 1;
      atLineStart = true;
      i += 1;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r") {
      i += 1;
      continue;
    }
    if (ch === "#" || (ch === "/" && text[i + 1] === "/")) {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end;
      continue;
    }
    if (ch === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) return fail(line, "unterminated /* comment");
      line += countNewlines(text, i, end);
      i = end + 2;
      continue;
    }
    if (atLineStart && open.length === 0) {
      atLineStart = false;
      const rest = text.slice(i, lineEnd(text, i));
      const attribute = ATTRIBUTE.exec(rest);
      const block = attribute ? null : BLOCK.exec(rest);
      const match = attribute ?? block;
      if (!match) {
        if (ch === "}" || ch === "]" || ch === ")") return fail(line, `unexpected "${ch}"`);
        return fail(line, `expected "key = value" or a block, got ${JSON.stringify(rest.trim())}`);
      }
      const name = match[1] as string;
      keys.push({ name, line });
      statementLines.push(line);
      if (attribute) awaitingValueFor = { name, line };
      // Resume after `=`, or at the block's `{` so the bracket logic below sees it.
      i += attribute ? match[0].length : match[0].length - 1;
      continue;
    }
    atLineStart = false;
    awaitingValueFor = undefined;
    if (ch === '"') {
      const end = stringEnd(text, i + 1);
      if (end === -1) return fail(line, "unterminated string");
      i = end + 1;
      continue;
    }
    if (ch === "<" && text[i + 1] === "<") {
      const heredoc = HEREDOC.exec(text.slice(i));
      if (heredoc) {
        const start = line;
        const marker = heredoc[1] as string;
        i += heredoc[0].length;
        line += 1;
        const closed = findHeredocEnd(text, i, marker);
        if (closed === -1) return fail(start, `unterminated heredoc <<${marker}`);
        line += countNewlines(text, i, closed);
        i = closed;
        continue;
      }
    }
    if (ch === "{" || ch === "[" || ch === "(") {
      open.push({ char: ch, line });
    } else if (ch === "}" || ch === "]" || ch === ")") {
      const top = open.pop();
      if (!top || top.char !== CLOSERS[ch]) return fail(line, `unexpected "${ch}"`);
    }
    i += 1;
  }
  if (awaitingValueFor) return fail(awaitingValueFor.line, `missing value for "${awaitingValueFor.name}"`);
  const unclosed = open.pop();
  if (unclosed) return fail(unclosed.line, `"${unclosed.char}" is never closed`);
  return { keys, statementLines };
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf("\n", from);
  return end === -1 ? text.length : end;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i += 1) if (text[i] === "\n") count += 1;
  return count;
}

/** Index of the closing quote of a string starting at `from`, or -1 if the line ends first. */
function stringEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i += 1) {
    const ch = text[i];
    if (ch === "\\") i += 1;
    else if (ch === '"') return i;
    else if (ch === "\n") return -1;
  }
  return -1;
}

/** Index just past the heredoc's closing marker line, or -1 when it never closes. */
function findHeredocEnd(text: string, from: number, marker: string): number {
  let start = from;
  while (start < text.length) {
    const end = lineEnd(text, start);
    if (text.slice(start, end).trim() === marker) return end;
    start = end + 1;
  }
  return -1;
}
