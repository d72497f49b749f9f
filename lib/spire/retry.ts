/**
 * Retrying whole RPCs with exponential backoff and full jitter. Only transient failures are
 * retried; anything the server decided (InvalidArgument, NotFound, ...) is returned at once.
 */
import type { SpireError } from "./errors.js";

/** Backoff settings. Delay before retry n (1-based) is `random() * min(maxDelayMs, baseDelayMs * 2^(n-1))`. */
export interface RetryPolicy {
  /** Total tries including the first (1 = no retry). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 };

/** Time as the client needs it; tests pass a fake so retries do not wait. */
export interface SpireClock {
  sleep(ms: number): Promise<void>;
}

/** The real clock: a timer. */
export const systemClock: SpireClock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Full-jitter delay before retry `retryNumber` (1-based). */
export function backoffDelayMs(policy: RetryPolicy, retryNumber: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retryNumber - 1));
  return Math.floor(random() * ceiling);
}

/** Called before each retry sleep, e.g. to log it. */
export type RetryListener = (error: SpireError, retryNumber: number, delayMs: number) => void;

/**
 * Runs `attempt` until it succeeds, fails with a non-retryable SpireError, or the attempts are
 * used up; the last error is returned. `attempt` must map its failures to SpireError.
 */
export async function withRetry<T>(
  attempt: () => Promise<{ ok: true; value: T } | { ok: false; error: SpireError }>,
  policy: RetryPolicy,
  clock: SpireClock,
  random: () => number,
  onRetry?: RetryListener,
): Promise<{ ok: true; value: T } | { ok: false; error: SpireError }> {
  for (let tryNumber = 1; ; tryNumber++) {
    const result = await attempt();
    if (result.ok || !result.error.retryable || tryNumber >= policy.maxAttempts) return result;
    const delayMs = backoffDelayMs(policy, tryNumber, random);
    onRetry?.(result.error, tryNumber, delayMs);
    await clock.sleep(delayMs);
  }
}
