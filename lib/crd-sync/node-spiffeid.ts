/**
 * A node event in CRD mode (`pod_controller`): the node's SpiffeID in the registrar's namespace follows the
 * Node — created, rewritten when the node's UID changed (Go never repaired it), deleted when the node is
 * gone (Go relied on the garbage collector).
 */
import { deriveNodeSpiffeIdResource } from "../planner/derive-crd.js";
import type { Warning } from "../planner/warning.js";
import { logWarnings } from "../reconcile/context.js";
import { type CrdContext, type CrdResult, emptyCrdSummary } from "./context.js";
import { ensureDerivedSpiffeId } from "./ensure-spiffeid.js";

export async function reconcileNodeSpiffeId(context: CrdContext, name: string): Promise<CrdResult> {
  if (!context.podController) return { ok: true, summary: emptyCrdSummary() };
  const node = await context.cluster.getNode(name);
  const warnings: Warning[] = [];
  const desired = node
    ? deriveNodeSpiffeIdResource(node, context.config, context.registrarNamespace, warnings)
    : undefined;
  logWarnings({ desired: [], warnings }, context.logger);
  return ensureDerivedSpiffeId(context, {
    kind: "Node",
    namespace: context.registrarNamespace,
    name,
    desired,
  });
}
