/**
 * The fixed SPIFFE IDs of the registrar's entry tree (reference §2.1, §3.1). The trust domain, cluster and
 * controller name come from validated config, so a failure here is a configuration bug, reported as a
 * result so the caller can say which value is wrong.
 */
import { joinPath } from "../spiffe/id.js";
import type { Result } from "../spiffe/result.js";
import type { PlannerConfig } from "./planner-config.js";

/** The path prefix of webhook- and CRD-mode node IDs; hard-coded in Go (it is not `controller_name`). */
export const WEBHOOK_ID_PREFIX = "k8s-workload-registrar";

/** `spiffe://<td>/spire/server`: the parent of node entries and of the webhook alias. */
export function serverId(trustDomain: string): Result<string> {
  return joinPath(trustDomain, ["spire", "server"]);
}

type IdConfig = Pick<PlannerConfig, "trustDomain" | "cluster" | "controllerName">;

/** `spiffe://<td>/<controller_name>/<cluster>/node`: reconcile mode's root; everything it owns is below. */
export function reconcileRootId(config: IdConfig): Result<string> {
  return joinPath(config.trustDomain, [config.controllerName, config.cluster, "node"]);
}

/** `spiffe://<td>/<controller_name>/<cluster>/node/<node>`: a reconcile-mode node entry and pod parent. */
export function reconcileNodeId(config: IdConfig, nodeName: string): Result<string> {
  return joinPath(config.trustDomain, [config.controllerName, config.cluster, "node", nodeName]);
}

/** `spiffe://<td>/k8s-workload-registrar/<cluster>/node`: the webhook-mode cluster node alias. */
export function webhookNodeAliasId(config: Pick<PlannerConfig, "trustDomain" | "cluster">): Result<string> {
  return joinPath(config.trustDomain, [WEBHOOK_ID_PREFIX, config.cluster, "node"]);
}

/** `spiffe://<td>/k8s-workload-registrar/<cluster>/node/<node>`: a CRD-mode node ID and pod parent. */
export function crdNodeId(
  config: Pick<PlannerConfig, "trustDomain" | "cluster">,
  nodeName: string,
): Result<string> {
  return joinPath(config.trustDomain, [WEBHOOK_ID_PREFIX, config.cluster, "node", nodeName]);
}
