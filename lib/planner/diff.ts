/**
 * The plan that turns the current SPIRE entries into the desired ones (DESIGN §2.3). Entries match by
 * `entryKey`; a matched entry is updated only when a field that shapes the SVID differs; duplicates of a
 * key keep one entry; only owned entries are ever updated or deleted. Work is linear in the input sizes
 * (plus sorting for a deterministic output order).
 */
import type { Entry, EntrySpec } from "./entry.js";
import { entryKey } from "./entry-key.js";
import type { IsOwned } from "./ownership.js";
import { isUpToDate } from "./svid-changes.js";

/** What to write to SPIRE. `update` carries the current entry's id with the desired spec. */
export interface Plan {
  readonly create: EntrySpec[];
  readonly update: Entry[];
  readonly delete: Entry[];
}

/**
 * Compares desired specs with current entries. Desired specs with the same key collapse to the first one.
 * A key present only as foreign entries that differ is left alone: it cannot be created again (SPIRE would
 * answer AlreadyExists) and foreign entries are never updated. Output order: `create` by key, `update` and
 * `delete` by entry id.
 */
export function diff(desired: readonly EntrySpec[], current: readonly Entry[], isOwned: IsOwned): Plan {
  // One map of the current entries by key; each desired spec claims its group (the first spec of a
  // key wins), so every key is built and hashed once.
  const existing = new Map<string, Group>();
  for (const entry of current) {
    const key = entryKey(entry);
    const group = existing.get(key);
    if (group === undefined) existing.set(key, { entries: [entry], spec: undefined });
    else group.entries.push(entry);
  }
  const creates = new Map<string, EntrySpec>();
  for (const spec of desired) {
    const key = entryKey(spec);
    const group = existing.get(key);
    if (group === undefined) {
      if (!creates.has(key)) creates.set(key, spec);
    } else if (group.spec === undefined) group.spec = spec;
  }

  const create = [...creates];
  const update: Entry[] = [];
  const remove: Entry[] = [];
  for (const { entries, spec } of existing.values()) {
    const keeper = spec === undefined ? undefined : chooseKeeper(spec, entries, isOwned);
    for (const entry of entries) {
      if (entry === keeper?.entry) continue;
      if (isOwned(entry)) remove.push(entry);
    }
    if (spec !== undefined && keeper !== undefined && !keeper.upToDate)
      update.push(updatedEntry(spec, keeper.entry));
  }

  create.sort(([a], [b]) => compare(a, b));
  update.sort((a, b) => compare(a.id, b.id));
  remove.sort((a, b) => compare(a.id, b.id));
  return { create: create.map(([, spec]) => spec), update, delete: remove };
}

/** The current entries of one key, and the desired spec that claimed it, if any. */
interface Group {
  readonly entries: Entry[];
  spec: EntrySpec | undefined;
}

/**
 * The entry to keep for a key: one already up to date if any, else the owned one with the smallest id (as
 * the Go registrar chose), else none (only foreign, outdated entries).
 */
function chooseKeeper(
  spec: EntrySpec,
  group: readonly Entry[],
  isOwned: IsOwned,
): { entry: Entry; upToDate: boolean } | undefined {
  const byId = group.length === 1 ? group : [...group].sort((a, b) => compare(a.id, b.id));
  const current = byId.find((entry) => isUpToDate(spec, entry));
  if (current) return { entry: current, upToDate: true };
  const owned = byId.find(isOwned);
  return owned ? { entry: owned, upToDate: false } : undefined;
}

/**
 * The desired spec under the current id. Updates replace every field (no input mask), so TTLs and hint the
 * registrar does not set are carried over instead of being reset.
 */
function updatedEntry(spec: EntrySpec, current: Entry): Entry {
  const entry: Entry = { ...spec, id: current.id };
  const x509SvidTtl = spec.x509SvidTtl ?? current.x509SvidTtl;
  const jwtSvidTtl = spec.jwtSvidTtl ?? current.jwtSvidTtl;
  const hint = spec.hint ?? current.hint;
  return {
    ...entry,
    ...(x509SvidTtl === undefined ? {} : { x509SvidTtl }),
    ...(jwtSvidTtl === undefined ? {} : { jwtSvidTtl }),
    ...(hint === undefined ? {} : { hint }),
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
