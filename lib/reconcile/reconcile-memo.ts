/**
 * What the last successful reconcile of an object left in SPIRE, by object key: a fingerprint of the
 * entries it made SPIRE hold. A later event whose re-read object derives the same fingerprint changes
 * nothing (a status update, a label nobody derives from), so the handler can skip the SPIRE lookup and
 * the writes. The object is still re-read from the API server (events are hints); only SPIRE is spared.
 *
 * SPIRE can change behind the memo's back (an entry deleted by hand, or by a resync that listed the
 * cluster before the object existed), so a memo only counts for `ttlMs` after it was written; within
 * that window the next resync repairs any drift, as it does for every missed event. The memo is bounded
 * (least recently written keys are dropped first), per process, and never persisted.
 */

export interface ReconcileMemo {
  /** True when `key` was reconciled to exactly `fingerprint` less than `ttlMs` ago. */
  isCurrent(key: string, fingerprint: string): boolean;
  /** Records a reconcile that left SPIRE holding `fingerprint` for `key`. */
  remember(key: string, fingerprint: string): void;
  /** Drops what is known of `key` (after a failure, nothing is). */
  forget(key: string): void;
}

export interface ReconcileMemoOptions {
  readonly ttlMs: number;
  readonly maxKeys: number;
  /** Milliseconds, e.g. Date.now. */
  readonly now: () => number;
}

/** How long a memo counts by default: shorter than any sensible resync interval. */
export const DEFAULT_MEMO_TTL_MS = 60_000;
/** Keys kept by default: about 100 bytes each, so at most a few MB. */
export const DEFAULT_MEMO_MAX_KEYS = 50_000;

export function createReconcileMemo(options: ReconcileMemoOptions): ReconcileMemo {
  const { ttlMs, maxKeys, now } = options;
  const known = new Map<string, { readonly fingerprint: string; readonly at: number }>();
  return {
    isCurrent(key, fingerprint) {
      const memo = known.get(key);
      return memo !== undefined && memo.fingerprint === fingerprint && now() - memo.at < ttlMs;
    },
    remember(key, fingerprint) {
      // Re-inserting moves the key to the end of the Map's order, so the first key is the oldest.
      known.delete(key);
      known.set(key, { fingerprint, at: now() });
      if (known.size > maxKeys) known.delete(known.keys().next().value as string);
    },
    forget(key) {
      known.delete(key);
    },
  };
}

/** A memo that knows nothing: every event does the full reconcile. */
export const noMemo: ReconcileMemo = {
  isCurrent: () => false,
  remember: () => undefined,
  forget: () => undefined,
};
