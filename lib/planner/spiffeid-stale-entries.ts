/**
 * Which SPIRE entries a CRD-mode resync deletes as stale (DESIGN §2.4-2.5). An entry is the registrar's in
 * CRD mode when it has the shape of one the registrar derives:
 *  - a pod entry: its parent is below `spiffe://<td>/k8s-workload-registrar/<cluster>/node` (by segments), or
 *  - a node entry: parent `spiffe://<td>/spire/server` and selectors exactly `k8s_psat:cluster:<cluster>`
 *    plus one `k8s_psat:agent_node_uid:<uid>`;
 * and it is stale when no SpiffeID records its id in `status.entryId`. Entries recorded by any SpiffeID
 * (manual ones included) are never stale; entries of any other shape are never touched by the cleanup.
 */

import { joinPath } from "../spiffe/id.js";
import { isUnder } from "../spiffe/is-under.js";
import { requireConfigId } from "./derive-shared.js";
import type { Entry } from "./entry.js";
import type { PlannerConfig } from "./planner-config.js";
import { serverId, WEBHOOK_ID_PREFIX } from "./registrar-ids.js";

type StaleConfig = Pick<PlannerConfig, "trustDomain" | "cluster">;

/** True when `entry` has the shape of a CRD-mode pod or node entry of this cluster. */
export function isCrdShapedEntry(config: StaleConfig): (entry: Entry) => boolean {
  const nodeRoot = requireConfigId(
    joinPath(config.trustDomain, [WEBHOOK_ID_PREFIX, config.cluster, "node"]),
    "trust_domain or cluster",
  );
  const server = requireConfigId(serverId(config.trustDomain), "trust_domain");
  const clusterSelector = `cluster:${config.cluster}`;
  return (entry) => {
    if (isUnder(entry.parentId, nodeRoot)) return true;
    if (entry.parentId !== server || entry.selectors.length !== 2) return false;
    const psat = entry.selectors.filter((selector) => selector.type === "k8s_psat");
    return (
      psat.length === 2 &&
      psat.some((selector) => selector.value === clusterSelector) &&
      psat.some((selector) => selector.value.startsWith("agent_node_uid:"))
    );
  };
}

/** The entries to delete: CRD-shaped and recorded by no SpiffeID. */
export function staleCrdEntries(
  entries: readonly Entry[],
  recordedEntryIds: ReadonlySet<string>,
  config: StaleConfig,
): Entry[] {
  const isCrdShaped = isCrdShapedEntry(config);
  return entries.filter((entry) => !recordedEntryIds.has(entry.id) && isCrdShaped(entry));
}
