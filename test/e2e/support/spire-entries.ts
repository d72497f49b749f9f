/** Reads SPIRE entries through the registrar's own client, for assertions. */
import type { Entry } from "../../../lib/planner/entry.js";
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
