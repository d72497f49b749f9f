/**
 * SPIFFE IDs: parsing, validation and formatting per the SPIFFE spec, as go-spiffe's `FromString` does it
 * (scheme `spiffe`, trust domain of `[a-z0-9._-]`, strict path segments). Because the trust domain
 * character set excludes `@`, `:`, `?`, `#` and `%`, IDs with userinfo, a port, a query, a fragment or
 * percent-encoding are rejected by the same checks.
 */
import { parsePath, segmentError } from "./path.js";
import { fail, ok, type Result } from "./result.js";
import { trustDomainError } from "./trust-domain.js";

const SCHEME_PREFIX = "spiffe://";

/** A parsed, valid SPIFFE ID. `path` is empty or starts with `/`; `segments` are its parts. */
export interface SpiffeId {
  readonly trustDomain: string;
  readonly path: string;
  readonly segments: readonly string[];
}

/** Parses and validates `spiffe://<trust domain>[/<path>]`; the error is go-spiffe's reason. */
export function parseSpiffeId(text: string): Result<SpiffeId> {
  if (text === "") return fail("cannot be empty");
  if (!text.startsWith(SCHEME_PREFIX)) return fail("scheme is missing or invalid");
  const rest = text.slice(SCHEME_PREFIX.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? "" : rest.slice(slash);
  const tdError = trustDomainError(trustDomain);
  if (tdError !== undefined) return fail(tdError);
  const segments = parsePath(path);
  if (!segments.ok) return segments;
  return ok({ trustDomain, path, segments: segments.value });
}

/**
 * The trust domain named by `idOrName`, as go-spiffe's `TrustDomainFromString` reads it: a bare name, or
 * (when it contains `:/`) a SPIFFE ID whose trust domain is taken. The error is go-spiffe's reason.
 */
export function trustDomainFromString(idOrName: string): Result<string> {
  if (idOrName.includes(":/")) {
    const id = parseSpiffeId(idOrName);
    return id.ok ? ok(id.value.trustDomain) : id;
  }
  const error = trustDomainError(idOrName);
  return error === undefined ? ok(idOrName) : fail(error);
}

/** The canonical string form of a parsed ID. */
export function formatSpiffeId(id: SpiffeId): string {
  return `${SCHEME_PREFIX}${id.trustDomain}${id.path}`;
}

/**
 * Builds `spiffe://<trustDomain>/<segments joined by />`, validating the trust domain and every segment
 * (like go-spiffe's `JoinPathSegments`, but also rejecting `.` and `..`).
 */
export function joinPath(trustDomain: string, segments: readonly string[]): Result<string> {
  const tdError = trustDomainError(trustDomain);
  if (tdError !== undefined) return fail(tdError);
  for (const segment of segments) {
    const error = segmentError(segment);
    if (error !== undefined) return fail(error);
  }
  const path = segments.length === 0 ? "" : `/${segments.join("/")}`;
  return ok(`${SCHEME_PREFIX}${trustDomain}${path}`);
}
