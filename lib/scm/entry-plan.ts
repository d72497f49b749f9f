/**
 * The writes of one SCM pass (scm-model §5): which SPIRE entries are SCM's (the `entryIDPrefix` rule, and the
 * delete-only `entryIDPrefixCleanup` rule), and for each entry key the create, update or deletes that make
 * SPIRE hold exactly the winning declared entries. The winner of a key takes the ID of the first current
 * entry; the other current entries of declared keys and all current entries of undeclared keys are deleted,
 * except join-token entries. Nothing outside the managed set is ever planned for deletion except by the
 * cleanup rule.
 */
import type { Entry, NewEntry } from "../planner/entry.js";
import type { DeclaredKey, Declarer } from "./declare.js";
import type { ScmEntrySpec } from "./entry.js";
import { scmEntryKey } from "./entry.js";
import { compareGoStrings } from "./go-text.js";

/** A current SPIRE entry as read back (TTLs in seconds; absent fields are their zero value). */
export type CurrentEntry = Entry;

/** The entry fields a SPIRE server may not support (SCM probes them every 10 minutes). */
export type ProbedField = "jwtSvidTtl" | "hint" | "storeSvid";

export interface EntryPlanOptions {
  /** SCM's `entryIDPrefix` with its `.`, or "". */
  readonly entryIdPrefix: string;
  /** SCM's `entryIDPrefixCleanup` with its `.` ("" is meaningful), or undefined. */
  readonly entryIdPrefixCleanup: string | undefined;
  /** Fields SPIRE does not support: their differences do not make an entry outdated. */
  readonly unsupportedFields: ReadonlySet<ProbedField>;
  /** A fresh UUID (v4) for a new entry's ID; called only when a prefix is configured. */
  readonly newUuid: () => string;
}

/** An entry to create, with the ID SCM chooses (or none, for SPIRE to choose) and the CR that declared it. */
export interface PlannedCreate {
  readonly entry: NewEntry & ScmEntrySpec;
  readonly declarer: Declarer;
}

/** An entry to update in place: the declared entry under the current entry's ID. */
export interface PlannedUpdate {
  readonly entry: Entry & ScmEntrySpec;
  readonly declarer: Declarer;
  readonly outdated: readonly OutdatedField[];
}

/** The fields SCM compares to decide an update. */
export type OutdatedField =
  | "x509SvidTtl"
  | "jwtSvidTtl"
  | "federatesWith"
  | "admin"
  | "downstream"
  | "dnsNames"
  | "hint"
  | "storeSvid";

export interface EntryPlan {
  /** In SCM's execution order: deletes first, then creates, then updates. */
  readonly delete: readonly CurrentEntry[];
  readonly create: readonly PlannedCreate[];
  readonly update: readonly PlannedUpdate[];
  /** Current entries already matching their winner. */
  readonly unchanged: number;
}

/** How SCM treats one SPIRE entry under the prefix settings. */
export type EntryOwnership = "managed" | "deleteOnly" | "ignored";

/** SCM's `shouldProcessOrDeleteEntryID`. */
export function entryOwnership(
  id: string,
  options: Pick<EntryPlanOptions, "entryIdPrefix" | "entryIdPrefixCleanup">,
): EntryOwnership {
  if (options.entryIdPrefix === "" || id.startsWith(options.entryIdPrefix)) return "managed";
  const cleanup = options.entryIdPrefixCleanup;
  if (cleanup === undefined) return "ignored";
  if (cleanup === "") return id.includes(".") ? "ignored" : "deleteOnly";
  return id.startsWith(cleanup) ? "deleteOnly" : "ignored";
}

/**
 * Plans the writes for `declared` (from `declareEntries`, or `declarePodEntries` for one pod) against the
 * `current` SPIRE entries in the same scope, in SPIRE's list order. For a scoped plan pass only the current
 * entries of that scope (e.g. those with the pod's `k8s:pod-uid` selector): undeclared managed entries among
 * them are deleted.
 */
export function planEntries(
  declared: readonly DeclaredKey[],
  current: readonly CurrentEntry[],
  options: EntryPlanOptions,
): EntryPlan {
  const byKey = new Map<string, CurrentEntry[]>();
  const deleteOnly: CurrentEntry[] = [];
  for (const entry of current) {
    const ownership = entryOwnership(entry.id, options);
    if (ownership === "deleteOnly") deleteOnly.push(entry);
    if (ownership !== "managed") continue;
    const key = scmEntryKey(entry);
    const group = byKey.get(key);
    if (group === undefined) byKey.set(key, [entry]);
    else group.push(entry);
  }
  const remove: CurrentEntry[] = [];
  const create: PlannedCreate[] = [];
  const update: PlannedUpdate[] = [];
  let unchanged = 0;
  // Key order only makes the output deterministic (SCM's is map order); plain string order is enough.
  for (const { key, winner } of [...declared].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
    const group = byKey.get(key) ?? [];
    byKey.delete(key);
    const [first, ...rest] = group;
    const spec = winner.entry.spec;
    if (first === undefined) {
      const id = options.entryIdPrefix === "" ? undefined : `${options.entryIdPrefix}${options.newUuid()}`;
      create.push({ entry: { ...spec, ...(id === undefined ? {} : { id }) }, declarer: winner.by });
    } else {
      const outdated = outdatedFields(winner.entry, first, options.unsupportedFields);
      if (outdated.length > 0)
        update.push({ entry: { ...spec, id: first.id }, declarer: winner.by, outdated });
      else unchanged++;
    }
    remove.push(...rest.filter((entry) => !isJoinTokenEntry(entry)));
  }
  for (const group of byKey.values()) remove.push(...group.filter((entry) => !isJoinTokenEntry(entry)));
  remove.push(...deleteOnly);
  return { delete: remove, create, update, unchanged };
}

/**
 * SCM's `getOutdatedEntryFields`: TTLs as durations (a declared `1.5s` never equals SPIRE's whole seconds),
 * federatesWith and DNS names as sorted lists (duplicates count), the probed fields only when supported.
 */
export function outdatedFields(
  declared: DeclaredKey["winner"]["entry"],
  current: CurrentEntry,
  unsupported: ReadonlySet<ProbedField>,
): OutdatedField[] {
  const outdated: OutdatedField[] = [];
  const seconds = (value: number | undefined): bigint => BigInt(value ?? 0) * 1_000_000_000n;
  const spec = declared.spec;
  if (declared.x509SvidTtl !== seconds(current.x509SvidTtl)) outdated.push("x509SvidTtl");
  if (declared.jwtSvidTtl !== seconds(current.jwtSvidTtl) && !unsupported.has("jwtSvidTtl"))
    outdated.push("jwtSvidTtl");
  if (!sameSortedList(spec.federatesWith, current.federatesWith)) outdated.push("federatesWith");
  if (spec.admin !== current.admin) outdated.push("admin");
  if (spec.downstream !== current.downstream) outdated.push("downstream");
  if (!sameSortedList(spec.dnsNames, current.dnsNames)) outdated.push("dnsNames");
  if (spec.hint !== (current.hint ?? "") && !unsupported.has("hint")) outdated.push("hint");
  if (spec.storeSvid !== (current.storeSvid ?? false) && !unsupported.has("storeSvid"))
    outdated.push("storeSvid");
  return outdated;
}

function sameSortedList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort(compareGoStrings);
  const y = [...b].sort(compareGoStrings);
  return x.every((value, index) => value === y[index]);
}

/**
 * A join-token entry, which SCM never deletes as unmatched: its parent ID's path starts with
 * `/spire/agent/join_token/` and it has a `spiffe_id` selector.
 */
export function isJoinTokenEntry(entry: Pick<CurrentEntry, "parentId" | "selectors">): boolean {
  const rest = entry.parentId.startsWith("spiffe://") ? entry.parentId.slice("spiffe://".length) : "";
  const slash = rest.indexOf("/");
  const path = slash === -1 ? "" : rest.slice(slash);
  return (
    path.startsWith("/spire/agent/join_token/") &&
    entry.selectors.some((selector) => selector.type === "spiffe_id")
  );
}
