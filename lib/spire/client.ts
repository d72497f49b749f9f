/**
 * The registrar's SPIRE server client: paged reads, batched writes with bounded concurrency,
 * per-call deadlines and retries of transient failures. Per-item outcomes are values aligned with
 * the input; only a whole RPC failing (after retries) makes a call return `{ ok: false }`.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { create } from "@bufbuild/protobuf";
import { Code, createClient } from "@connectrpc/connect";
import { Bundle as BundleService } from "../../proto/gen/spire/api/server/bundle/v1/bundle_pb.js";
import type { ListEntriesRequest_FilterSchema } from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import { Entry as EntryService } from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import { SVID as SvidService } from "../../proto/gen/spire/api/server/svid/v1/svid_pb.js";
import type { EntryMask } from "../../proto/gen/spire/api/types/entry_pb.js";
import { SelectorMatchSchema, SelectorSchema } from "../../proto/gen/spire/api/types/selector_pb.js";
import type { Entry, NewEntry, Selector } from "../planner/entry.js";
import type { SelectorMatchMode } from "./convert.js";
import {
  entryFromProto,
  entrySpecToProto,
  managedFieldsMask,
  matchBehaviorToProto,
  spiffeIdFromProto,
  spiffeIdToProto,
} from "./convert.js";
import type { BatchResult, ItemError, RpcOptions, SpireResult } from "./rpc.js";
import { createRpc, itemError, OK, statusCode } from "./rpc.js";

export type { BatchResult, ItemError, SpireResult } from "./rpc.js";
export { DEFAULT_CONCURRENCY } from "./rpc.js";

/** Items per Batch* request. SPIRE has no cap; the practical limit is the 4 MiB message size. */
export interface BatchSizes {
  readonly create: number;
  readonly update: number;
  readonly delete: number;
}

/**
 * Chosen from `npm run bench:spire` (real spire-server 1.13.3, sqlite, Unix socket, 10,000 entries,
 * median of 3): creates run at 153-181 entries/s whatever the batch size or concurrency (the
 * server's datastore is the bottleneck, and its per-entry cost grows with the entries it holds),
 * so a create batch of 200 buys under 20% while each attempt then holds ~1.2 s of server work and
 * 4 in flight wait ~5 s, too close to the 10 s per-attempt deadline on a slower disk; 50 keeps
 * the margin and what a retry repeats small. Updates cost the server like creates. Deletes are
 * cheap per item: 200 per batch ran 17-32% faster than 50 (1,214 vs 917 entries/s at concurrency 4).
 * These are also spire-controller-manager's sizes.
 */
export const DEFAULT_BATCH_SIZES: BatchSizes = { create: 50, update: 50, delete: 200 };
/** The Go registrar's ListEntries page size (spiffe/spire#2227). */
export const DEFAULT_PAGE_SIZE = 1000;

export interface SpireClientOptions extends RpcOptions {
  /** ListEntries page size (default 1000). */
  readonly pageSize?: number;
  readonly batchSize?: Partial<BatchSizes>;
}

/** Server-side filters of ListEntries/CountEntries; all given ones must match. */
export interface EntryFilter {
  readonly spiffeId?: string;
  readonly parentId?: string;
  readonly selectors?: { readonly selectors: readonly Selector[]; readonly match: SelectorMatchMode };
  readonly hint?: string;
}

/** `existed`: SPIRE already had an entry with this SPIFFE ID, parent and selector set; `entry` is that one. */
export type CreateEntryResult =
  | { readonly ok: true; readonly entry: Entry; readonly existed: boolean }
  | ItemError;
export type UpdateEntryResult = { readonly ok: true; readonly entry: Entry } | ItemError;
/** `existed: false`: the entry was already gone, which is what a delete wants. */
export type DeleteEntryResult =
  | { readonly ok: true; readonly id: string; readonly existed: boolean }
  | ItemError;

/** The server's CA certificates (DER), for verifying SVIDs it issues. */
export interface X509Bundle {
  readonly trustDomain: string;
  readonly x509Authorities: readonly Uint8Array[];
}

/** An X509-SVID minted for a CSR: DER certificates, leaf first. */
export interface MintedX509Svid {
  readonly spiffeId: string;
  readonly certChain: readonly Uint8Array[];
  /** Unix seconds. */
  readonly expiresAt: bigint;
}

export interface SpireClient {
  /** Every entry matching the filter, following page tokens until the server returns an empty one. */
  listEntries(filter?: EntryFilter): Promise<SpireResult<Entry[]>>;
  countEntries(filter?: EntryFilter): Promise<SpireResult<number>>;
  /** The entry, or `undefined` when SPIRE has no entry with this id. */
  getEntry(id: string): Promise<SpireResult<Entry | undefined>>;
  /**
   * One result per spec, in input order. A retried batch cannot duplicate: SPIRE answers AlreadyExists.
   * A spec's `id` is the entry ID asked for; when another entry already has it, that item is an
   * ItemError with code AlreadyExists (SPIRE's unique-ID failure names no entry).
   */
  createEntries(specs: readonly NewEntry[]): Promise<BatchResult<CreateEntryResult>>;
  /** Replaces the registrar-managed fields of each entry (by id); other fields are left alone. */
  updateEntries(entries: readonly Entry[]): Promise<BatchResult<UpdateEntryResult>>;
  /**
   * Replaces every field of each entry (by id), as spire-controller-manager updates entries (no input
   * mask): what the entry leaves unset is reset on the server (TTLs to the server default, hint,
   * store_svid, expires_at, additional attributes). For cluster-spiffeid mode, which declares every field.
   */
  replaceEntries(entries: readonly Entry[]): Promise<BatchResult<UpdateEntryResult>>;
  deleteEntries(ids: readonly string[]): Promise<BatchResult<DeleteEntryResult>>;
  getBundle(): Promise<SpireResult<X509Bundle>>;
  /** Mints an X509-SVID for a DER CSR (the SPIFFE ID comes from the CSR's URI SAN). */
  mintX509Svid(csrDer: Uint8Array, ttlSeconds: number): Promise<SpireResult<MintedX509Svid>>;
  /** Releases the connection. */
  close(): void;
}

/** Builds a client over a transport; nothing is sent until the first call. */
export function createSpireClient(options: SpireClientOptions): SpireClient {
  const { transport } = options;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const batchSizes: BatchSizes = { ...DEFAULT_BATCH_SIZES, ...options.batchSize };
  const { call, batched } = createRpc(options);
  const entries = createClient(EntryService, transport.transport);
  const bundles = createClient(BundleService, transport.transport);
  const svids = createClient(SvidService, transport.transport);

  /** BatchUpdateEntry with `inputMask` (undefined: every field is written). */
  function update(toUpdate: readonly Entry[], inputMask: EntryMask | undefined) {
    return batched(toUpdate, batchSizes.update, async (chunkEntries) => {
      const result = await call("BatchUpdateEntry", (o) =>
        entries.batchUpdateEntry(
          { entries: chunkEntries.map((entry) => entrySpecToProto(entry, entry.id)), inputMask },
          o,
        ),
      );
      if (!result.ok) return result;
      return {
        ok: true,
        value: chunkEntries.map((_, i): UpdateEntryResult => {
          const item = result.value.results[i];
          return item?.entry && statusCode(item.status) === OK
            ? { ok: true, entry: entryFromProto(item.entry) }
            : itemError(item?.status);
        }),
      } as const;
    });
  }

  return {
    async listEntries(filter) {
      const all: Entry[] = [];
      let pageToken = "";
      do {
        const page = await call("ListEntries", (o) =>
          entries.listEntries({ filter: filterToProto(filter), pageSize, pageToken }, o),
        );
        if (!page.ok) return page;
        for (const message of page.value.entries) all.push(entryFromProto(message));
        pageToken = page.value.nextPageToken;
      } while (pageToken !== "");
      return { ok: true, value: all };
    },

    async countEntries(filter) {
      const result = await call("CountEntries", (o) =>
        entries.countEntries({ filter: filterToProto(filter) }, o),
      );
      return result.ok ? { ok: true, value: result.value.count } : result;
    },

    async getEntry(id) {
      const result = await call("GetEntry", (o) => entries.getEntry({ id }, o));
      if (result.ok) return { ok: true, value: entryFromProto(result.value) };
      return result.error.code === Code.NotFound ? { ok: true, value: undefined } : result;
    },

    createEntries(specs) {
      return batched(specs, batchSizes.create, async (chunkSpecs) => {
        const result = await call("BatchCreateEntry", (o) =>
          entries.batchCreateEntry({ entries: chunkSpecs.map((spec) => entrySpecToProto(spec, spec.id)) }, o),
        );
        if (!result.ok) return result;
        return {
          ok: true,
          value: chunkSpecs.map((_, i): CreateEntryResult => {
            const item = result.value.results[i];
            const code = statusCode(item?.status);
            if (item?.entry && (code === OK || code === AlreadyExists)) {
              return { ok: true, entry: entryFromProto(item.entry), existed: code === AlreadyExists };
            }
            return itemError(item?.status);
          }),
        };
      });
    },

    updateEntries(toUpdate) {
      return update(toUpdate, managedFieldsMask());
    },

    replaceEntries(toReplace) {
      return update(toReplace, undefined);
    },

    deleteEntries(ids) {
      return batched(ids, batchSizes.delete, async (chunkIds) => {
        const result = await call("BatchDeleteEntry", (o) => entries.batchDeleteEntry({ ids: chunkIds }, o));
        if (!result.ok) return result;
        return {
          ok: true,
          value: chunkIds.map((id, i): DeleteEntryResult => {
            const code = statusCode(result.value.results[i]?.status);
            if (code === OK) return { ok: true, id, existed: true };
            if (code === Code.NotFound) return { ok: true, id, existed: false };
            return itemError(result.value.results[i]?.status);
          }),
        };
      });
    },

    async getBundle() {
      const result = await call("GetBundle", (o) => bundles.getBundle({}, o));
      if (!result.ok) return result;
      return {
        ok: true,
        value: {
          trustDomain: result.value.trustDomain,
          x509Authorities: result.value.x509Authorities.map((a) => a.asn1),
        },
      };
    },

    async mintX509Svid(csrDer, ttlSeconds) {
      const result = await call("MintX509SVID", (o) =>
        svids.mintX509SVID({ csr: csrDer, ttl: ttlSeconds }, o),
      );
      if (!result.ok) return result;
      const svid = result.value.svid;
      return {
        ok: true,
        value: {
          spiffeId: spiffeIdFromProto(svid?.id),
          certChain: svid?.certChain ?? [],
          expiresAt: svid?.expiresAt ?? 0n,
        },
      };
    },

    close() {
      transport.close();
    },
  };
}

const AlreadyExists = Code.AlreadyExists;

/** The filter as a message init; List and Count have identical filter messages, so one shape serves both. */
function filterToProto(
  filter: EntryFilter | undefined,
): Omit<MessageInitShape<typeof ListEntriesRequest_FilterSchema>, "$typeName"> | undefined {
  if (!filter) return undefined;
  return {
    ...(filter.spiffeId !== undefined && { bySpiffeId: spiffeIdToProto(filter.spiffeId) }),
    ...(filter.parentId !== undefined && { byParentId: spiffeIdToProto(filter.parentId) }),
    ...(filter.selectors && {
      bySelectors: create(SelectorMatchSchema, {
        selectors: filter.selectors.selectors.map((s) => create(SelectorSchema, s)),
        match: matchBehaviorToProto(filter.selectors.match),
      }),
    }),
    ...(filter.hint !== undefined && { byHint: filter.hint }),
  };
}
