/**
 * Compares the entries two registrars wrote to two SPIRE servers, as `NormalEntry` lists (the
 * harness's release-neutral form): which entries only one side has. A parity test asserts that
 * this difference is empty, or exactly the one a README "Deliberate differences" item documents.
 */
import type { NormalEntry } from "../harness/entries.js";

/** The fields every server release has (v0.11.1 has no JWT TTL and no hint). */
export type ComparableEntry = Omit<NormalEntry, "jwtSvidTtl" | "hint">;

export function comparable(entry: NormalEntry): ComparableEntry {
  const { jwtSvidTtl: _jwt, hint: _hint, ...rest } = entry;
  return rest;
}

export interface EntryDiff {
  readonly onlyInProject: ComparableEntry[];
  readonly onlyInOriginal: ComparableEntry[];
}

/** The entries (as multisets, on their comparable fields) that only one side has. */
export function diffEntries(project: readonly NormalEntry[], original: readonly NormalEntry[]): EntryDiff {
  const remaining = new Map<string, number>();
  const key = (entry: ComparableEntry) => JSON.stringify(entry);
  for (const entry of original.map(comparable))
    remaining.set(key(entry), (remaining.get(key(entry)) ?? 0) + 1);
  const onlyInProject: ComparableEntry[] = [];
  for (const entry of project.map(comparable)) {
    const count = remaining.get(key(entry)) ?? 0;
    if (count > 0) remaining.set(key(entry), count - 1);
    else onlyInProject.push(entry);
  }
  const onlyInOriginal: ComparableEntry[] = [];
  for (const entry of original.map(comparable)) {
    const count = remaining.get(key(entry)) ?? 0;
    if (count > 0) {
      remaining.set(key(entry), count - 1);
      onlyInOriginal.push(entry);
    }
  }
  return { onlyInProject, onlyInOriginal };
}

/** A pod entry's comparable form, for writing the expected side of a documented difference. */
export function podEntry(fields: {
  spiffeId: string;
  parentId: string;
  selectors: readonly string[];
  dnsNames?: readonly string[];
}): ComparableEntry {
  return {
    spiffeId: fields.spiffeId,
    parentId: fields.parentId,
    selectors: [...fields.selectors].sort(),
    dnsNames: [...(fields.dnsNames ?? [])].sort(),
    federatesWith: [],
    admin: false,
    downstream: false,
    x509SvidTtl: 0,
  };
}
