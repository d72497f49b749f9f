/**
 * SPIFFE ID path rules (SPIFFE spec §2.2, as go-spiffe enforces them): a path is `/`-separated segments of
 * `[A-Za-z0-9._-]`, with no empty, `.` or `..` segment and no trailing slash. The messages are go-spiffe's so
 * they read like the Go registrar's errors.
 */
import { fail, ok, type Result } from "./result.js";

export const EMPTY_SEGMENT = "path cannot contain empty segments";
export const DOT_SEGMENT = "path cannot contain dot segments";
export const TRAILING_SLASH = "path cannot have a trailing slash";
export const NO_LEADING_SLASH = "path must have a leading slash";
export const BAD_SEGMENT_CHAR =
  "path segment characters are limited to letters, numbers, dots, dashes, and underscores";

const SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;

/** The reason `segment` cannot be one path segment, or undefined when it can. */
export function segmentError(segment: string): string | undefined {
  if (segment === "") return EMPTY_SEGMENT;
  if (segment === "." || segment === "..") return DOT_SEGMENT;
  if (!SEGMENT_CHARS.test(segment)) return BAD_SEGMENT_CHAR;
  return undefined;
}

/**
 * The reason `path` (empty, or `/`-prefixed segments) is not a valid SPIFFE ID path, or undefined. Scanned
 * in place without allocating, because every pod's ID is checked on every derivation.
 */
export function pathError(path: string): string | undefined {
  if (path === "") return undefined;
  if (path.charCodeAt(0) !== SLASH) return NO_LEADING_SLASH;
  let start = 1;
  for (let index = 1; index <= path.length; index++) {
    if (index < path.length && path.charCodeAt(index) !== SLASH) {
      if (!isSegmentChar(path.charCodeAt(index))) return BAD_SEGMENT_CHAR;
      continue;
    }
    const length = index - start;
    if (length === 0) return index === path.length ? TRAILING_SLASH : EMPTY_SEGMENT;
    if (
      path.charCodeAt(start) === DOT &&
      (length === 1 || (length === 2 && path.charCodeAt(start + 1) === DOT))
    ) {
      return DOT_SEGMENT;
    }
    start = index + 1;
  }
  return undefined;
}

/**
 * Splits a path such as `/ns/default/sa/web` into its segments, validating each. The empty path (a trust
 * domain's own ID) has no segments.
 */
export function parsePath(path: string): Result<string[]> {
  const error = pathError(path);
  if (error !== undefined) return fail(error);
  return ok(path === "" ? [] : path.slice(1).split("/"));
}

/**
 * The segments of a path written without its leading slash, as operators write label, annotation and
 * template values: `production/example-workload` is two segments (DESIGN §3). Invalid values are errors,
 * never silently cleaned.
 */
export function parseRelativePath(value: string): Result<string[]> {
  if (value === "") return fail("path is empty");
  return parsePath(`/${value}`);
}

const SLASH = 47;
const DOT = 46;

function isSegmentChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === DOT ||
    code === 45 || // -
    code === 95 // _
  );
}
