/**
 * Coalesces concurrent single-entry creates into one BatchCreateEntry. Admission requests arrive
 * one pod at a time but many at once; without this, each is its own RPC round trip to SPIRE. Calls
 * made in the same turn of the event loop share a batch (no added waiting), each caller gets back
 * exactly its own results, and a failed RPC fails every caller in it.
 */
import type { EntrySpec } from "../planner/entry.js";
import type { CreateEntryResult, SpireClient, SpireResult } from "./client.js";

interface Waiting {
  readonly specs: readonly EntrySpec[];
  readonly resolve: (result: SpireResult<CreateEntryResult[]>) => void;
  readonly reject: (error: unknown) => void;
}

export function coalesceCreates(client: SpireClient, maxBatch = 50): SpireClient {
  let queue: Waiting[] = [];
  let scheduled = false;

  const flush = async (waiting: Waiting[]) => {
    const specs = waiting.flatMap((w) => w.specs);
    let result: SpireResult<CreateEntryResult[]>;
    try {
      result = await client.createEntries(specs);
    } catch (error) {
      for (const w of waiting) w.reject(error);
      return;
    }
    let offset = 0;
    for (const w of waiting) {
      if (result.ok) w.resolve({ ok: true, value: result.value.slice(offset, offset + w.specs.length) });
      else w.resolve(result);
      offset += w.specs.length;
    }
  };

  const drain = () => {
    scheduled = false;
    const waiting = queue;
    queue = [];
    // Batches stay within maxBatch entries; a single large call goes as it is (the client splits it).
    let batch: Waiting[] = [];
    let size = 0;
    for (const w of waiting) {
      if (size > 0 && size + w.specs.length > maxBatch) {
        void flush(batch);
        batch = [];
        size = 0;
      }
      batch.push(w);
      size += w.specs.length;
    }
    if (batch.length > 0) void flush(batch);
  };

  return {
    ...client,
    createEntries(specs) {
      return new Promise((resolve, reject) => {
        queue.push({ specs, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(drain);
        }
      });
    },
  };
}
