/**
 * The in-memory datastore behind the fake SPIRE entry service. It follows the real server's
 * observable rules: validation per item, uniqueness of (spiffe_id, parent_id, exact selector set)
 * with AlreadyExists returning the existing entry, NotFound, masks, filters, and paging where the
 * token is the last row returned and the final request gets an empty page and an empty token.
 */
import { clone, create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import type {
  BatchCreateEntryResponse_Result,
  BatchDeleteEntryResponse_Result,
  BatchUpdateEntryResponse_Result,
  ListEntriesRequest_Filter,
} from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import {
  BatchCreateEntryResponse_ResultSchema,
  BatchDeleteEntryResponse_ResultSchema,
  BatchUpdateEntryResponse_ResultSchema,
} from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import type { EntryMask, Entry as EntryMessage } from "../../proto/gen/spire/api/types/entry_pb.js";
import { EntrySchema } from "../../proto/gen/spire/api/types/entry_pb.js";
import type { Selector } from "../../proto/gen/spire/api/types/selector_pb.js";
import { SelectorMatch_MatchBehavior } from "../../proto/gen/spire/api/types/selector_pb.js";
import { StatusSchema } from "../../proto/gen/spire/api/types/status_pb.js";
import { datastoreError, entryError, parentIdError, workloadIdError } from "./spire-entry-rules.js";

/** A failure of a whole RPC (not of an item). */
export class StoreRpcError extends Error {
  constructor(
    readonly code: Code,
    message: string,
  ) {
    super(message);
  }
}

/** List and Count carry identical filter messages that differ only in their type name. */
type FilterMessage = Omit<ListEntriesRequest_Filter, "$typeName">;

interface Row {
  readonly row: number;
  entry: EntryMessage;
}

export interface EntryStoreOptions {
  readonly trustDomain: string;
  /** Trust domains that have a bundle; federating with any other fails like SPIRE (Internal). */
  readonly federatedTrustDomains?: readonly string[];
  /** Unix seconds for created_at (default: wall clock). */
  readonly now?: () => number;
}

const ok = () => create(StatusSchema, { code: 0, message: "OK" });
const status = (code: Code, message: string) => create(StatusSchema, { code, message });

/** An in-memory SPIRE entry datastore with the server's per-item semantics. */
export class EntryStore {
  /** In insertion order, which is row order: updates replace `entry` in place. */
  private readonly rows = new Map<string, Row>();
  /** Entry ids by identity (SPIFFE ID, parent, selector set): how SPIRE finds a "similar entry". */
  private readonly byIdentity = new Map<string, Set<string>>();
  private nextRow = 1;
  private readonly trustDomain: string;
  private readonly federated: Set<string>;
  private readonly now: () => number;

  constructor(options: EntryStoreOptions) {
    this.trustDomain = options.trustDomain;
    this.federated = new Set(options.federatedTrustDomains ?? []);
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The server now holds a bundle for `trustDomain`, so entries may federate with it. */
  addFederatedTrustDomain(trustDomain: string): void {
    this.federated.add(trustDomain);
  }

  /** Every stored entry in creation order (a copy). */
  all(): EntryMessage[] {
    return this.ordered().map((r) => clone(EntrySchema, r.entry));
  }

  count(filter: FilterMessage | undefined): number {
    return this.filtered(filter).length;
  }

  /** A page of entries after `pageToken`; pageSize <= 0 returns everything with no token. */
  list(
    filter: FilterMessage | undefined,
    pageSize: number,
    pageToken: string,
    mask: EntryMask | undefined,
  ): { entries: EntryMessage[]; nextPageToken: string } {
    let rows = this.filtered(filter);
    if (pageSize <= 0) return { entries: rows.map((r) => applyMask(r.entry, mask)), nextPageToken: "" };
    if (pageToken !== "") {
      const after = Number(pageToken);
      if (!Number.isInteger(after)) throw new StoreRpcError(Code.InvalidArgument, "could not parse token");
      rows = rows.filter((r) => r.row > after);
    }
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return {
      entries: page.map((r) => applyMask(r.entry, mask)),
      nextPageToken: last ? String(last.row) : "",
    };
  }

  get(id: string, mask: EntryMask | undefined): EntryMessage {
    if (id === "") throw new StoreRpcError(Code.InvalidArgument, "missing ID");
    const row = this.rows.get(id);
    if (!row) throw new StoreRpcError(Code.NotFound, "entry not found");
    return applyMask(row.entry, mask);
  }

  create(input: EntryMessage, mask: EntryMask | undefined): BatchCreateEntryResponse_Result {
    const result = (s: ReturnType<typeof ok>, entry?: EntryMessage) =>
      create(BatchCreateEntryResponse_ResultSchema, {
        status: s,
        ...(entry && { entry: applyMask(entry, mask) }),
      });
    const invalid = entryError(input, this.trustDomain);
    if (invalid) return result(status(Code.InvalidArgument, `failed to convert entry: ${invalid}`));
    const similar = this.similarTo(input);
    if (similar) return result(status(Code.AlreadyExists, "similar entry already exists"), similar.entry);
    const dsInvalid = datastoreError(input);
    if (dsInvalid)
      return result(
        status(Code.InvalidArgument, `failed to create entry: datastore-validation: ${dsInvalid}`),
      );
    if (input.id !== "" && this.rows.has(input.id)) {
      return result(
        status(
          Code.AlreadyExists,
          "failed to create entry: datastore-sql: UNIQUE constraint failed: registered_entries.entry_id",
        ),
      );
    }
    const unbundled = input.federatesWith.find((td) => !this.federated.has(td));
    if (unbundled !== undefined) {
      return result(
        status(
          Code.Internal,
          `failed to create entry: unable to find federated bundle "spiffe://${unbundled}"`,
        ),
      );
    }
    const entry = clone(EntrySchema, input);
    entry.id = input.id || crypto.randomUUID();
    entry.revisionNumber = 0n;
    entry.createdAt = BigInt(this.now());
    this.rows.set(entry.id, { row: this.nextRow++, entry });
    this.index(entry);
    return result(ok(), sortedLists(entry));
  }

  update(
    input: EntryMessage,
    inputMask: EntryMask | undefined,
    outputMask: EntryMask | undefined,
  ): BatchUpdateEntryResponse_Result {
    const result = (s: ReturnType<typeof ok>, entry?: EntryMessage) =>
      create(BatchUpdateEntryResponse_ResultSchema, {
        status: s,
        ...(entry && { entry: applyMask(entry, outputMask) }),
      });
    const invalid = maskedEntryError(input, inputMask, this.trustDomain);
    if (invalid) return result(status(Code.InvalidArgument, `failed to convert entry: ${invalid}`));
    const row = this.rows.get(input.id);
    if (!row) return result(status(Code.NotFound, "failed to update entry: datastore-sql: record not found"));
    const updated = clone(EntrySchema, row.entry);
    const all = inputMask === undefined;
    if (all || inputMask.spiffeId) updated.spiffeId = input.spiffeId;
    if (all || inputMask.parentId) updated.parentId = input.parentId;
    if (all || inputMask.selectors) updated.selectors = [...input.selectors];
    if (all || inputMask.x509SvidTtl) updated.x509SvidTtl = input.x509SvidTtl;
    if (all || inputMask.federatesWith) updated.federatesWith = [...input.federatesWith];
    if (all || inputMask.admin) updated.admin = input.admin;
    if (all || inputMask.downstream) updated.downstream = input.downstream;
    if (all || inputMask.expiresAt) updated.expiresAt = input.expiresAt;
    if (all || inputMask.dnsNames) updated.dnsNames = [...input.dnsNames];
    if (all || inputMask.storeSvid) updated.storeSvid = input.storeSvid;
    if (all || inputMask.jwtSvidTtl) updated.jwtSvidTtl = input.jwtSvidTtl;
    if (all || inputMask.hint) updated.hint = input.hint;
    if (all || inputMask.additionalAttributes) updated.additionalAttributes = input.additionalAttributes;
    // SPIRE does not look for similar entries on update, so an update can create a duplicate tuple.
    updated.revisionNumber = row.entry.revisionNumber + 1n;
    this.unindex(row.entry);
    row.entry = updated;
    this.index(updated);
    return result(ok(), sortedLists(updated));
  }

  delete(id: string): BatchDeleteEntryResponse_Result {
    if (id === "")
      return create(BatchDeleteEntryResponse_ResultSchema, {
        status: status(Code.InvalidArgument, "missing entry ID"),
        id,
      });
    const row = this.rows.get(id);
    if (!row)
      return create(BatchDeleteEntryResponse_ResultSchema, {
        status: status(Code.NotFound, "entry not found"),
        id,
      });
    this.rows.delete(id);
    this.unindex(row.entry);
    return create(BatchDeleteEntryResponse_ResultSchema, { status: ok(), id });
  }

  private ordered(): Row[] {
    return [...this.rows.values()];
  }

  /** The oldest entry with the same identity, if any (an update may have made duplicates). */
  private similarTo(input: EntryMessage): Row | undefined {
    if (!input.spiffeId || !input.parentId) return undefined;
    const ids = this.byIdentity.get(identityKey(input));
    let oldest: Row | undefined;
    for (const id of ids ?? []) {
      const row = this.rows.get(id);
      if (row && (!oldest || row.row < oldest.row)) oldest = row;
    }
    return oldest;
  }

  private index(entry: EntryMessage): void {
    const key = identityKey(entry);
    const ids = this.byIdentity.get(key);
    if (ids) ids.add(entry.id);
    else this.byIdentity.set(key, new Set([entry.id]));
  }

  private unindex(entry: EntryMessage): void {
    const key = identityKey(entry);
    const ids = this.byIdentity.get(key);
    ids?.delete(entry.id);
    if (ids?.size === 0) this.byIdentity.delete(key);
  }

  private filtered(filter: FilterMessage | undefined): Row[] {
    if (!filter) return this.ordered();
    if (filter.byParentId) {
      const bad = parentIdError(filter.byParentId, this.trustDomain);
      if (bad) throw new StoreRpcError(Code.InvalidArgument, `malformed parent ID filter: ${bad}`);
    }
    if (filter.bySpiffeId) {
      const bad = workloadIdError(filter.bySpiffeId, this.trustDomain);
      if (bad) throw new StoreRpcError(Code.InvalidArgument, `malformed SPIFFE ID filter: ${bad}`);
    }
    if (filter.bySelectors && filter.bySelectors.selectors.length === 0) {
      throw new StoreRpcError(Code.InvalidArgument, "malformed selectors filter: empty selector set");
    }
    if (filter.byFederatesWith && filter.byFederatesWith.trustDomains.length === 0) {
      throw new StoreRpcError(
        Code.InvalidArgument,
        "malformed federates with filter: empty trust domain set",
      );
    }
    return this.ordered().filter(({ entry }) => {
      if (filter.byParentId && !sameId(entry.parentId, filter.byParentId)) return false;
      if (filter.bySpiffeId && !sameId(entry.spiffeId, filter.bySpiffeId)) return false;
      if (filter.byHint !== undefined && entry.hint !== filter.byHint) return false;
      if (filter.byDownstream !== undefined && entry.downstream !== filter.byDownstream) return false;
      if (filter.bySelectors) {
        const have = new Set(entry.selectors.map(selectorKey));
        const want = new Set(filter.bySelectors.selectors.map(selectorKey));
        if (!setMatches(have, want, filter.bySelectors.match)) return false;
      }
      if (filter.byFederatesWith) {
        const matched = setMatches(
          new Set(entry.federatesWith),
          new Set(filter.byFederatesWith.trustDomains),
          // FederatesWithMatch and SelectorMatch number their behaviours the same way.
          filter.byFederatesWith.match as number as SelectorMatch_MatchBehavior,
        );
        if (!matched) return false;
      }
      return true;
    });
  }
}

/** Update conversion: only the masked fields must be valid (nil mask = all fields). */
function maskedEntryError(
  input: EntryMessage,
  mask: EntryMask | undefined,
  trustDomain: string,
): string | undefined {
  if (!mask) return entryError(input, trustDomain);
  // Fill the unmasked identity fields with valid placeholders so entryError checks only masked ones.
  const probe = clone(EntrySchema, input);
  const placeholder = { $typeName: "spire.api.types.SPIFFEID" as const, trustDomain, path: "/placeholder" };
  if (!mask.parentId) probe.parentId = placeholder;
  if (!mask.spiffeId) probe.spiffeId = placeholder;
  if (!mask.selectors) probe.selectors = [{ $typeName: "spire.api.types.Selector", type: "t", value: "v" }];
  if (!mask.dnsNames) probe.dnsNames = [];
  if (!mask.federatesWith) probe.federatesWith = [];
  if (!mask.hint) probe.hint = "";
  return entryError(probe, trustDomain);
}

/**
 * The real server answers a successful create or update with selectors (by type, then value) and
 * DNS names sorted, while Get, List and an AlreadyExists result keep the stored (request) order.
 */
function sortedLists(entry: EntryMessage): EntryMessage {
  const copy = clone(EntrySchema, entry);
  copy.selectors.sort((a, b) => compare(a.type, b.type) || compare(a.value, b.value));
  copy.dnsNames.sort(compare);
  return copy;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function selectorKey(s: Selector): string {
  return `${s.type}\u0000${s.value}`;
}

function sameId(
  a: { trustDomain: string; path: string } | undefined,
  b: { trustDomain: string; path: string },
): boolean {
  return a !== undefined && a.trustDomain === b.trustDomain && a.path === b.path;
}

/** SPIFFE ID, parent ID and the selector *set*: equal keys are "similar entries" to SPIRE. */
function identityKey(entry: EntryMessage): string {
  const id = (value: EntryMessage["spiffeId"]) => `${value?.trustDomain ?? ""}${value?.path ?? ""}`;
  const selectors = [...new Set(entry.selectors.map(selectorKey))].sort();
  return JSON.stringify([id(entry.spiffeId), id(entry.parentId), selectors]);
}

/** SPIRE's set matching: exact, subset (entry within filter), superset (entry contains filter), any. */
function setMatches(
  have: ReadonlySet<string>,
  want: ReadonlySet<string>,
  match: SelectorMatch_MatchBehavior,
): boolean {
  const haveInWant = [...have].every((k) => want.has(k));
  const wantInHave = [...want].every((k) => have.has(k));
  switch (match) {
    case SelectorMatch_MatchBehavior.MATCH_EXACT:
      return haveInWant && wantInHave;
    case SelectorMatch_MatchBehavior.MATCH_SUBSET:
      return haveInWant;
    case SelectorMatch_MatchBehavior.MATCH_SUPERSET:
      return wantInHave;
    default:
      return [...want].some((k) => have.has(k));
  }
}

/** A copy of the entry with only the masked fields (the id always); nil mask = everything. */
function applyMask(entry: EntryMessage, mask: EntryMask | undefined): EntryMessage {
  const copy = clone(EntrySchema, entry);
  if (!mask) return copy;
  const out = create(EntrySchema, { id: copy.id });
  if (mask.spiffeId) out.spiffeId = copy.spiffeId;
  if (mask.parentId) out.parentId = copy.parentId;
  if (mask.selectors) out.selectors = copy.selectors;
  if (mask.x509SvidTtl) out.x509SvidTtl = copy.x509SvidTtl;
  if (mask.federatesWith) out.federatesWith = copy.federatesWith;
  if (mask.admin) out.admin = copy.admin;
  if (mask.downstream) out.downstream = copy.downstream;
  if (mask.expiresAt) out.expiresAt = copy.expiresAt;
  if (mask.dnsNames) out.dnsNames = copy.dnsNames;
  if (mask.revisionNumber) out.revisionNumber = copy.revisionNumber;
  if (mask.storeSvid) out.storeSvid = copy.storeSvid;
  if (mask.jwtSvidTtl) out.jwtSvidTtl = copy.jwtSvidTtl;
  if (mask.hint) out.hint = copy.hint;
  if (mask.createdAt) out.createdAt = copy.createdAt;
  if (mask.additionalAttributes) out.additionalAttributes = copy.additionalAttributes;
  return out;
}
