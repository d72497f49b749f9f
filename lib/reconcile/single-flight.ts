/**
 * Per-object single flight without batching, for handlers whose work is per object (CRD mode: each
 * SpiffeID, pod or node is its own read-modify-write): at most one run per key at a time, events arriving
 * meanwhile share one more run after it, and at most `maxInFlight` keys run at once. A thrown error
 * reaches the waiters of that run only.
 */
import { createKeyedBatcher, type KeyedBatcher } from "./keyed-batcher.js";

/** Objects handled at once by default: enough to overlap API server and SPIRE round trips. */
export const DEFAULT_SINGLE_FLIGHT_CONCURRENCY = 16;

export function singleFlight<T, R>(
  keyOf: (item: T) => string,
  handler: (item: T) => Promise<R>,
  maxInFlight = DEFAULT_SINGLE_FLIGHT_CONCURRENCY,
): KeyedBatcher<T, R> {
  return createKeyedBatcher<T, R>({
    keyOf,
    run: async ([item]) => [await handler(item as T)],
    maxBatch: 1,
    maxInFlight,
  });
}

/** The key of an object named by an event: kind, namespace and name. */
export function objectKey(object: { kind: string; namespace?: string | undefined; name: string }): string {
  return `${object.kind}/${object.namespace ?? ""}/${object.name}`;
}
