/**
 * Which existing entries the registrar may update or delete (DESIGN §2.4). Everything else in SPIRE is
 * foreign and never touched. Containment is by whole path segments, so a look-alike such as
 * `.../node-extra/...` is not owned (the Go registrar's string prefix claimed it).
 */
import { parseSpiffeId, type SpiffeId } from "../spiffe/id.js";
import { underRoot } from "../spiffe/is-under.js";
import { requireConfigId } from "./derive-shared.js";
import type { Entry } from "./entry.js";
import type { PlannerConfig } from "./planner-config.js";
import { reconcileRootId, serverId, webhookNodeAliasId } from "./registrar-ids.js";

/** Decides whether an existing entry belongs to this registrar. */
export type IsOwned = (entry: Entry) => boolean;

/** Reconcile mode: the parent or the SPIFFE ID is below `spiffe://<td>/<controller_name>/<cluster>/node`. */
export function reconcileOwnership(
  config: Pick<PlannerConfig, "trustDomain" | "cluster" | "controllerName">,
): IsOwned {
  const root = parsedConfigId(requireConfigId(reconcileRootId(config), "controller_name or cluster"));
  const isBelowRoot = underRoot(root);
  return (entry) => isBelowRoot(entry.parentId) || isBelowRoot(entry.spiffeId);
}

/** Webhook mode: the parent is the cluster node alias, or the entry is the alias entry itself. */
export function webhookOwnership(config: Pick<PlannerConfig, "trustDomain" | "cluster">): IsOwned {
  const alias = requireConfigId(webhookNodeAliasId(config), "trust_domain or cluster");
  const server = requireConfigId(serverId(config.trustDomain), "trust_domain");
  return (entry) => entry.parentId === alias || (entry.spiffeId === alias && entry.parentId === server);
}

/** CRD mode: the entry id is recorded in some SpiffeID's `status.entryId`. */
export function crdOwnership(recordedEntryIds: ReadonlySet<string>): IsOwned {
  return (entry) => recordedEntryIds.has(entry.id);
}

/** The ownership rule of a reconcile- or webhook-mode config (CRD mode needs the recorded ids). */
export function ownershipFor(config: PlannerConfig): IsOwned {
  if (config.mode === "reconcile") return reconcileOwnership(config);
  if (config.mode === "webhook") return webhookOwnership(config);
  throw new Error("CRD-mode ownership depends on SpiffeID status.entryId values: use crdOwnership");
}

function parsedConfigId(id: string): SpiffeId {
  const parsed = parseSpiffeId(id);
  if (!parsed.ok) throw new Error(`registrar ID ${id} does not parse: ${parsed.error}`);
  return parsed.value;
}
