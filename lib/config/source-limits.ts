/**
 * Bounds on a configuration text, checked before anything that recurses over it. A registrar config
 * is a few hundred bytes with lists and blocks one or two levels deep; the bounds only turn a
 * runaway or hostile file into a clear one-line error instead of a stack overflow or a long stall.
 */

/** Largest accepted text, in characters (1 MiB). */
export const MAX_SOURCE_CHARS = 1024 * 1024;

/** Deepest accepted nesting of lists, objects and blocks. */
export const MAX_NESTING = 64;

/** `line N: ...` when `text` is longer than MAX_SOURCE_CHARS (N: the line the limit falls on). */
export function sizeError(text: string): string | undefined {
  if (text.length <= MAX_SOURCE_CHARS) return undefined;
  let line = 1;
  for (let i = 0; i < MAX_SOURCE_CHARS; i += 1) if (text.charCodeAt(i) === 10) line += 1;
  return `line ${line}: the configuration is larger than 1 MiB (${MAX_SOURCE_CHARS} characters)`;
}

/** The reason given when nesting goes deeper than MAX_NESTING. */
export const NESTING_REASON = `lists, objects and blocks are nested deeper than ${MAX_NESTING} levels`;
