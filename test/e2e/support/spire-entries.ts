/** Reads SPIRE entries through the registrar's own client, for assertions. */
import type { Entry, Selector } from "../../../lib/planner/entry.js";
import { podSelectors } from "../../../lib/planner/index.js";
import type { SpireClient } from "../../../lib/spire/client.js";

export async function allEntries(spire: SpireClient): Promise<Entry[]> {
  const listed = await spire.listEntries();
  if (!listed.ok) throw new Error(`listEntries failed: ${listed.error.message}`, { cause: listed.error });
  return listed.value.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Entries whose selectors are exactly the pod's `k8s:ns` and `k8s:pod-name` selectors. */
export async function podEntries(spire: SpireClient, namespace: string, name: string): Promise<Entry[]> {
  const listed = await spire.listEntries({
    selectors: { selectors: podSelectors(namespace, name), match: "exact" },
  });
  if (!listed.ok) throw new Error(`listEntries failed: ${listed.error.message}`, { cause: listed.error });
  return listed.value;
}

/** True when `id` is `root` or below it by path segments. */
export function isUnder(id: string, root: string): boolean {
  return id === root || id.startsWith(`${root}/`);
}

/** An entry's fields as SPIRE holds them, selectors given as objects or as `registrar plan` prints them (`type:value`). */
export interface ComparableEntry
  extends Omit<Entry, "id" | "selectors" | "revisionNumber" | "createdAt" | "storeSvid"> {
  readonly id?: string;
  readonly selectors: readonly (Selector | string)[];
}

/**
 * One string per entry for comparing entry sets: lists sorted where SPIRE does not keep order, absent TTLs and hint
 * as SPIRE shows them, and IDs made under `newIdPrefix` (`<prefix>.<uuid>`) as `<prefix>.<uuid>` literally.
 */
export function comparableEntry(entry: ComparableEntry, newIdPrefix: string): string {
  const selectors = entry.selectors.map((s) => (typeof s === "string" ? s : `${s.type}:${s.value}`));
  return JSON.stringify({
    id: entry.id?.replace(new RegExp(`^${newIdPrefix}\\.[0-9a-f-]{36}$`), `${newIdPrefix}.<uuid>`),
    spiffeId: entry.spiffeId,
    parentId: entry.parentId,
    selectors: selectors.sort(),
    dnsNames: entry.dnsNames,
    federatesWith: [...entry.federatesWith].sort(),
    admin: entry.admin,
    downstream: entry.downstream,
    x509SvidTtl: entry.x509SvidTtl ?? 0,
    jwtSvidTtl: entry.jwtSvidTtl ?? 0,
    hint: entry.hint ?? "",
  });
}
