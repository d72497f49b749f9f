/**
 * Wraps a SpireClient and counts what the registrar asks of SPIRE: client calls, items, and the
 * RPCs they turn into (the client pages ListEntries by `pageSize` and splits batches by the
 * configured batch sizes, so the RPC count follows from the sizes).
 */
import type { SpireClient } from "../../lib/spire/client.js";

export interface SpireCounts {
  listCalls: number;
  listRpcs: number;
  createRpcs: number;
  updateRpcs: number;
  deleteRpcs: number;
  created: number;
  updated: number;
  deleted: number;
}

export interface CountingSpire {
  readonly client: SpireClient;
  readonly counts: SpireCounts;
  reset(): void;
  /** Every RPC counted. */
  total(): number;
}

export function countingSpire(
  inner: SpireClient,
  sizes: { page: number; create: number; update: number; delete: number },
): CountingSpire {
  const zero = (): SpireCounts => ({
    listCalls: 0,
    listRpcs: 0,
    createRpcs: 0,
    updateRpcs: 0,
    deleteRpcs: 0,
    created: 0,
    updated: 0,
    deleted: 0,
  });
  const counts = zero();
  const batches = (items: number, size: number) => Math.ceil(items / size);
  const client: SpireClient = {
    ...inner,
    async listEntries(filter) {
      const result = await inner.listEntries(filter);
      counts.listCalls++;
      counts.listRpcs += result.ok ? Math.max(1, batches(result.value.length + 1, sizes.page)) : 1;
      return result;
    },
    async createEntries(specs) {
      counts.createRpcs += batches(specs.length, sizes.create);
      counts.created += specs.length;
      return inner.createEntries(specs);
    },
    async updateEntries(entries) {
      counts.updateRpcs += batches(entries.length, sizes.update);
      counts.updated += entries.length;
      return inner.updateEntries(entries);
    },
    async replaceEntries(entries) {
      counts.updateRpcs += batches(entries.length, sizes.update);
      counts.updated += entries.length;
      return inner.replaceEntries(entries);
    },
    async deleteEntries(ids) {
      counts.deleteRpcs += batches(ids.length, sizes.delete);
      counts.deleted += ids.length;
      return inner.deleteEntries(ids);
    },
  };
  return {
    client,
    counts,
    reset: () => Object.assign(counts, zero()),
    total: () => counts.listRpcs + counts.createRpcs + counts.updateRpcs + counts.deleteRpcs,
  };
}
