/**
 * Keeps the webhook's minted certificate fresh: re-mint at half-life (`NotBefore + (NotAfter −
 * NotBefore)/2`, as the Go registrar did), and on failure log and retry with capped exponential
 * backoff. Unlike the Go registrar (`log.Fatalf` on a rotation failure) the process never exits: the
 * current certificate keeps serving until it expires, and retries continue after that, so the
 * webhook recovers as soon as SPIRE answers again.
 */
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { reasonOf } from "../log/reason.js";
import type { Result } from "../spiffe/result.js";

/** Time as rotation needs it; tests pass a fake that runs timers on demand. */
export interface RotationClock {
  now(): number;
  /** Runs `task` after `delayMs`; returns a function that cancels it. */
  schedule(delayMs: number, task: () => Promise<void>): () => void;
}

/** Node's largest timer delay; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The real clock: timers that do not keep the process alive on their own. */
export const systemRotationClock: RotationClock = {
  now: () => Date.now(),
  schedule(delayMs, task) {
    let timer: NodeJS.Timeout;
    const wait = (remaining: number) => {
      timer = setTimeout(
        () => (remaining > MAX_TIMER_MS ? wait(remaining - MAX_TIMER_MS) : void task()),
        Math.min(remaining, MAX_TIMER_MS),
      );
      timer.unref();
    };
    wait(Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** When a certificate is due for renewal: halfway through its lifetime (epoch ms). */
export function renewalTime(validity: Validity): number {
  const from = validity.notBefore.getTime();
  return from + (validity.notAfter.getTime() - from) / 2;
}

export interface RetryBackoff {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { initialDelayMs: 1_000, maxDelayMs: 60_000 };

export interface RotationOptions {
  /** The certificate being served now. */
  readonly current: Validity;
  /** Mints and writes a new certificate; answers its validity, or why it could not. */
  readonly renew: () => Promise<Result<Validity>>;
  readonly clock: RotationClock;
  readonly logger: Logger;
  readonly backoff?: RetryBackoff;
}

export interface Rotation {
  stop(): void;
}

/** Schedules renewals until stopped. */
export function startRotation(options: RotationOptions): Rotation {
  const { clock, logger } = options;
  const backoff = options.backoff ?? DEFAULT_RETRY_BACKOFF;
  let current = options.current;
  let failures = 0;
  let stopped = false;
  let cancel: () => void = () => undefined;

  const scheduleAt = (at: number) => {
    if (!stopped) cancel = clock.schedule(Math.max(0, at - clock.now()), attempt);
  };

  async function attempt(): Promise<void> {
    let result: Result<Validity>;
    try {
      result = await options.renew();
    } catch (error) {
      result = { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
    if (stopped) return;
    if (result.ok) {
      failures = 0;
      current = result.value;
      logger.info(
        `webhook serving certificate renewed, valid until ${current.notAfter.toISOString()}; next renewal at ${new Date(renewalTime(current)).toISOString()}`,
      );
      scheduleAt(renewalTime(current));
      return;
    }
    failures++;
    const delayMs = Math.min(backoff.maxDelayMs, backoff.initialDelayMs * 2 ** (failures - 1));
    const expiry = current.notAfter.toISOString();
    if (clock.now() >= current.notAfter.getTime()) {
      logger.error(
        { [LogField.reason]: reasonOf(result.error) },
        `webhook serving certificate EXPIRED at ${expiry} and renewing it failed (attempt ${failures}); the API server cannot call the webhook until it is renewed; retrying in ${delayMs} ms`,
      );
    } else {
      logger.warn(
        { [LogField.reason]: reasonOf(result.error) },
        `renewing the webhook serving certificate failed (attempt ${failures}); the current one stays valid until ${expiry}; retrying in ${delayMs} ms`,
      );
    }
    scheduleAt(clock.now() + delayMs);
  }

  scheduleAt(renewalTime(current));
  return {
    stop() {
      stopped = true;
      cancel();
    },
  };
}
