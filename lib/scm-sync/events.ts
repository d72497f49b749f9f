/**
 * cluster-spiffeid mode's event handling: which pass each ApiServerSource event runs (see pod-scope.ts), and
 * the HTTP answer of a pass (204 when done; 503 when SPIRE may succeed later, so the sender redelivers; 500
 * when it cannot until an operator acts). SPIRE refusing an entry is a success here: it is logged and counted
 * in the ClusterSPIFFEID's `status.stats.entryFailures` by the next full pass.
 */
import type { Logger } from "pino";
import type { ObjectHint } from "../events/apiserver-source.js";
import type { EventReply } from "../events/event-endpoint.js";
import type { Metrics } from "../metrics/metrics.js";
import { emptyScmSummary, type ScmResult, type ScmSummary, type ScmSyncContext } from "./context.js";
import { runFullPass } from "./full-pass.js";
import {
  reconcileClusterSpiffeIdEvent,
  reconcileEndpointSliceEvent,
  reconcileNamespaceEvent,
  reconcileNodeEvent,
  reconcilePodEvent,
} from "./pod-scope.js";

/** The kinds k8s-events takes in cluster-spiffeid mode. */
export const SCM_EVENT_KINDS = [
  "Pod",
  "Node",
  "Namespace",
  "EndpointSlice",
  "ClusterSPIFFEID",
  "ClusterStaticEntry",
  "ClusterFederatedTrustDomain",
] as const;

export function reconcileScmHint(context: ScmSyncContext, hint: ObjectHint): Promise<ScmResult> {
  switch (hint.kind) {
    case "Pod":
      return reconcilePodEvent(context, {
        namespace: hint.namespace ?? "",
        name: hint.name,
        ...(hint.uid === undefined ? {} : { uid: hint.uid }),
      });
    case "Node":
      return reconcileNodeEvent(context, hint.name);
    case "Namespace":
      return reconcileNamespaceEvent(context, hint.name);
    case "EndpointSlice":
      return reconcileEndpointSliceEvent(context, hint.namespace ?? "");
    case "ClusterSPIFFEID":
    case "ClusterStaticEntry":
      return reconcileCustomResourceEvent(context, hint);
    default:
      return runFullPass(context, { entries: false, federation: true });
  }
}

/**
 * A ClusterSPIFFEID added runs the pods it selects; any other change of it, and any ClusterStaticEntry
 * event, the full pass, except an update that changed only the status (see `passedGenerations`).
 */
async function reconcileCustomResourceEvent(context: ScmSyncContext, hint: ObjectHint): Promise<ScmResult> {
  const resource = hint.kind === "ClusterSPIFFEID" ? "clusterspiffeids" : "clusterstaticentries";
  if (hint.action === "update") {
    const current = await context.cluster.getCustomResource(resource, hint.name);
    const { uid, generation } = current?.metadata ?? {};
    if (uid !== undefined && generation !== undefined && context.passedGenerations.get(uid) === generation)
      return { ok: true, summary: emptyScmSummary() };
  }
  if (resource === "clusterspiffeids") return reconcileClusterSpiffeIdEvent(context, hint.name, hint.action);
  return runFullPass(context, { entries: true, federation: false });
}

/** Counts a pass's entry writes in `registrar_entries_total` (refused entries as failed). */
export function countScmEntries(metrics: Metrics | undefined, summary: ScmSummary): void {
  metrics?.entries("created", summary.entriesCreated);
  metrics?.entries("updated", summary.entriesUpdated);
  metrics?.entries("deleted", summary.entriesDeleted);
  metrics?.entries("failed", summary.entriesFailed);
}

export function scmResultReply(result: ScmResult, logger: Logger, metrics?: Metrics): EventReply {
  countScmEntries(metrics, result.summary);
  if (!result.ok) {
    logger.error({ ...result.summary }, result.message);
    return {
      status: result.retryable ? 503 : 500,
      body: { error: result.message, retryable: result.retryable },
    };
  }
  logger.info({ ...result.summary }, "reconciled");
  return { status: 204 };
}
