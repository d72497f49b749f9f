/**
 * What syncing a SpiffeID to SPIRE must do, given the entry its `status.entryId` names (reference §4.4, with
 * the §7 fixes). The SPIFFE ID, parent and selector set are an entry's identity in SPIRE (entry-key.ts): a
 * change there means a new entry (created first, then the old id deleted, so the workload is never without
 * one). Any other difference that changes the SVID (DNS names in order, federatesWith, downstream) is an
 * update of the same entry; the Go registrar ignored federatesWith.
 */
import type { Entry, EntrySpec } from "./entry.js";
import { entryKey } from "./entry-key.js";
import { outdatedFields, type SvidField } from "./svid-changes.js";

export type EntrySyncStep =
  /** No entry (never created, or deleted in SPIRE): create it. */
  | { readonly kind: "create" }
  /** The entry's identity differs: create the desired entry, then delete `old`. */
  | { readonly kind: "replace"; readonly old: Entry }
  /** Same identity, outdated SVID fields: update `entry` in place. */
  | { readonly kind: "update"; readonly entry: Entry; readonly fields: readonly SvidField[] }
  /** Already as desired. */
  | { readonly kind: "none"; readonly entry: Entry };

/** The step that makes `current` (the entry recorded in the SpiffeID's status, if it exists) equal `desired`. */
export function planEntrySync(desired: EntrySpec, current: Entry | undefined): EntrySyncStep {
  if (current === undefined) return { kind: "create" };
  if (entryKey(desired) !== entryKey(current)) return { kind: "replace", old: current };
  const fields = outdatedFields(desired, current);
  return fields.length > 0 ? { kind: "update", entry: current, fields } : { kind: "none", entry: current };
}
