/**
 * Certificate lifetimes: the `-ttl` flag (a Go duration; `0` means "never expires", which X.509
 * spells 9999-12-31T23:59:59Z) and the resulting NotBefore/NotAfter window.
 */
import { parseDurationMs } from "../config/coerce.js";
import type { Result } from "../config/result.js";

/** X.509's "no well-defined expiration date" (RFC 5280 §4.1.2.5). */
export const NO_EXPIRY = new Date("9999-12-31T23:59:59Z");

/**
 * NotBefore is backdated by this much so that an API server whose clock runs slightly behind the
 * machine that ran `generate-config` accepts the certificates at once.
 */
export const CLOCK_SKEW_MS = 60_000;

const ZERO_DURATION = /^[+-]?(0|((0+(\.0*)?|\.0+)(ns|us|µs|ms|s|m|h))+)$/;

/** Parse a `-ttl` value into milliseconds; 0 means no expiry. The error is a complete message. */
export function parseTtl(text: string): Result<number, string> {
  if (ZERO_DURATION.test(text)) return { ok: true, value: 0 };
  if (text.startsWith("-"))
    return { ok: false, error: `invalid -ttl ${JSON.stringify(text)}: must not be negative` };
  const ms = parseDurationMs(text.startsWith("+") ? text.slice(1) : text);
  if (ms === undefined) {
    return {
      ok: false,
      error: `invalid -ttl ${JSON.stringify(text)}: want a Go duration such as 8760h or 720h30m, or 0 for no expiry`,
    };
  }
  return { ok: true, value: ms };
}

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** The validity window for certificates made at `now` that live `ttlMs` (0: no expiry). */
export function validityWindow(now: Date, ttlMs: number): Result<Validity, string> {
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  if (ttlMs === 0) return { ok: true, value: { notBefore, notAfter: NO_EXPIRY } };
  const notAfter = new Date(now.getTime() + ttlMs);
  if (Number.isNaN(notAfter.getTime()) || notAfter.getTime() > NO_EXPIRY.getTime()) {
    return {
      ok: false,
      error: `invalid -ttl: certificates would expire after ${NO_EXPIRY.toISOString()}; use 0 for no expiry`,
    };
  }
  return { ok: true, value: { notBefore, notAfter } };
}
