/**
 * Per-object single flight with batching, for the event functions (DESIGN §2.8). Each event names an
 * object (a key); the batcher runs the reconcile of a batch of keys and hands every event the result of
 * a run that *started after the event arrived*, so the object was re-read after the change the event
 * announced.
 *
 * - A key already waiting is not queued twice: later events join the waiting run.
 * - A key being reconciled is only marked dirty: one more run follows the current one, however many
 *   events arrive meanwhile.
 * - Keys waiting together run together, up to `maxBatch` per run and `maxInFlight` runs at once. Nothing
 *   waits on a timer: a lone event runs on the next turn of the event loop; under load, keys pile up
 *   while the runs in flight finish, and the next run takes them all at once.
 */

export interface KeyedBatcherOptions<K, R> {
  /** The key of an item; items with equal keys are one object. */
  readonly keyOf: (item: K) => string;
  /**
   * Reconciles a batch and returns one result per item, in order. A rejection is a bug: it is passed
   * to every waiting caller of the batch.
   */
  readonly run: (items: readonly K[]) => Promise<readonly R[]>;
  readonly maxBatch: number;
  readonly maxInFlight: number;
}

export interface KeyedBatcher<K, R> {
  /** Resolves with the result of a run of `item`'s key that started after this call. */
  submit(item: K): Promise<R>;
  /** Keys waiting or running (for metrics and tests). */
  pending(): number;
}

interface Waiter<R> {
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

interface Waiting<K, R> {
  /** The latest item for the key (equal keys name one object; any of them will do). */
  item: K;
  readonly waiters: Waiter<R>[];
}

export function createKeyedBatcher<K, R>(options: KeyedBatcherOptions<K, R>): KeyedBatcher<K, R> {
  const { keyOf, run, maxBatch, maxInFlight } = options;
  /** Keys to run, oldest first; a key may also be running (then it runs again after). */
  const waiting = new Map<string, Waiting<K, R>>();
  const running = new Set<string>();
  let inFlight = 0;
  let scheduled = false;

  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  };

  const pump = () => {
    while (inFlight < maxInFlight) {
      const batch: Array<{ key: string } & Waiting<K, R>> = [];
      for (const [key, entry] of waiting) {
        if (running.has(key)) continue;
        batch.push({ key, ...entry });
        if (batch.length >= maxBatch) break;
      }
      if (batch.length === 0) return;
      for (const { key } of batch) {
        waiting.delete(key);
        running.add(key);
      }
      inFlight++;
      void runBatch(batch);
    }
  };

  const runBatch = async (batch: ReadonlyArray<{ key: string } & Waiting<K, R>>) => {
    try {
      const results = await run(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => {
        for (const waiter of entry.waiters) waiter.resolve(results[i] as R);
      });
    } catch (error) {
      for (const entry of batch) for (const waiter of entry.waiters) waiter.reject(error);
    } finally {
      for (const { key } of batch) running.delete(key);
      inFlight--;
      if (waiting.size > 0) schedule();
    }
  };

  return {
    submit(item) {
      return new Promise<R>((resolve, reject) => {
        const key = keyOf(item);
        const entry = waiting.get(key);
        if (entry) {
          entry.item = item;
          entry.waiters.push({ resolve, reject });
        } else waiting.set(key, { item, waiters: [{ resolve, reject }] });
        schedule();
      });
    },
    pending: () => new Set([...waiting.keys(), ...running]).size,
  };
}
