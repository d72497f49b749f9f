/**
 * Coalesces concurrent entry writes into shared Batch* RPCs. Events and admission requests arrive one
 * object at a time but many at once; without this, each is its own round trip to SPIRE. Nothing waits on a
 * timer: calls made in the same turn of the event loop share a batch, and while `maxInFlight` batches of a
 * kind are in flight, new calls queue and go out together as soon as one returns. So a lone call is sent at
 * once, and under load batches grow up to `maxBatch` items. Each caller gets back exactly its own results;
 * a failed RPC fails every caller in it. Updates and replaces (an update with no input mask) are separate
 * kinds: one BatchUpdateEntry carries one mask, so they never share an RPC.
 */
import type { DeleteEntryResult, SpireClient, SpireResult } from "./client.js";
import { DEFAULT_BATCH_SIZES } from "./client.js";

export interface CoalesceOptions {
  /** Items per coalesced RPC, by kind (default: the client's default batch sizes). */
  /** `update` also bounds replaceEntries' RPCs. */
  readonly maxBatch?: { readonly create?: number; readonly update?: number; readonly delete?: number };
  /** Coalesced RPCs of one kind in flight at once (default 4). */
  readonly maxInFlight?: number;
}

const DEFAULT_MAX_IN_FLIGHT = 4;

/**
 * `client` with createEntries, updateEntries, replaceEntries and deleteEntries coalesced; everything else
 * passes through.
 */
export function coalesceWrites(client: SpireClient, options: CoalesceOptions = {}): SpireClient {
  const maxInFlight = options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  const create = coalescer(
    (specs: Parameters<SpireClient["createEntries"]>[0]) => client.createEntries(specs),
    options.maxBatch?.create ?? DEFAULT_BATCH_SIZES.create,
    maxInFlight,
  );
  const update = coalescer(
    (entries: Parameters<SpireClient["updateEntries"]>[0]) => client.updateEntries(entries),
    options.maxBatch?.update ?? DEFAULT_BATCH_SIZES.update,
    maxInFlight,
  );
  const replace = coalescer(
    (entries: Parameters<SpireClient["replaceEntries"]>[0]) => client.replaceEntries(entries),
    options.maxBatch?.update ?? DEFAULT_BATCH_SIZES.update,
    maxInFlight,
  );
  const remove = coalescer(
    (ids: readonly string[]): Promise<SpireResult<DeleteEntryResult[]>> => client.deleteEntries(ids),
    options.maxBatch?.delete ?? DEFAULT_BATCH_SIZES.delete,
    maxInFlight,
  );
  return {
    ...client,
    createEntries: create,
    updateEntries: update,
    replaceEntries: replace,
    deleteEntries: remove,
  };
}

interface Waiting<I, R> {
  readonly items: readonly I[];
  readonly resolve: (result: SpireResult<R[]>) => void;
  readonly reject: (error: unknown) => void;
}

/** One kind of write: calls in, shared RPCs out. */
function coalescer<I, R>(
  send: (items: readonly I[]) => Promise<SpireResult<R[]>>,
  maxBatch: number,
  maxInFlight: number,
): (items: readonly I[]) => Promise<SpireResult<R[]>> {
  let queue: Waiting<I, R>[] = [];
  let inFlight = 0;
  let scheduled = false;

  const flush = async (batch: Waiting<I, R>[]) => {
    inFlight++;
    try {
      const result = await send(batch.flatMap((w) => w.items));
      let offset = 0;
      for (const w of batch) {
        w.resolve(
          result.ok ? { ok: true, value: result.value.slice(offset, offset + w.items.length) } : result,
        );
        offset += w.items.length;
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    } finally {
      inFlight--;
      pump();
    }
  };

  /** Starts batches while slots are free; a single call larger than maxBatch goes alone (the client splits it). */
  const pump = () => {
    while (inFlight < maxInFlight && queue.length > 0) {
      let size = 0;
      let taken = 0;
      while (taken < queue.length) {
        const next = (queue[taken] as Waiting<I, R>).items.length;
        if (taken > 0 && size + next > maxBatch) break;
        size += next;
        taken++;
      }
      const batch = queue.slice(0, taken);
      queue = queue.slice(taken);
      void flush(batch);
    }
  };

  return (items) =>
    new Promise((resolve, reject) => {
      if (items.length === 0) {
        resolve({ ok: true, value: [] });
        return;
      }
      queue.push({ items, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          pump();
        });
      }
    });
}
