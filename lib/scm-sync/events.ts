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
import { createKeyedBatcher } from "../reconcile/keyed-batcher.js";
import { objectKey, singleFlight } from "../reconcile/single-flight.js";
import { emptyScmSummary, type ScmResult, type ScmSummary, type ScmSyncContext } from "./context.js";
import { runFullPass } from "./full-pass.js";
import { podDigest } from "./pod-digest.js";
import {
  type PodRef,
  reconcileClusterSpiffeIdEvent,
  reconcileEndpointSliceEvent,
  reconcileNamespaceEvent,
  reconcileNodeEvent,
  reconcilePodEvent,
  reconcilePodEvents,
} from "./pod-scope.js";

/** Pod events reconciled together at most (their reads and writes are shared). */
const MAX_POD_BATCH = 100;
/** Batches of pods, and passes of other events, in flight at once. */
const POD_BATCHES_IN_FLIGHT = 4;

/**
 * The event queue of one k8s-events process: at most one pass per object in flight (events arriving
 * meanwhile wait for one more pass that starts after it), the pods of concurrent Pod events reconciled in
 * one pass, and events that run the full pass sharing one.
 */
export function createScmEventQueue(context: ScmSyncContext): (hint: ObjectHint) => Promise<ScmResult> {
  const pods = createKeyedBatcher<PodRef, ScmResult>({
    keyOf: (ref) => `${ref.namespace}/${ref.name}/${ref.uid ?? ""}`,
    run: async (refs) => {
      const result = await reconcilePodEvents(context, refs);
      return refs.map(() => result);
    },
    maxBatch: MAX_POD_BATCH,
    maxInFlight: POD_BATCHES_IN_FLIGHT,
  });
  const others = singleFlight(otherEventKey, (hint: ObjectHint) => reconcileScmHint(context, hint));
  return (hint) => {
    if (hint.kind !== "Pod") return others.submit(hint);
    if (statusOnlyUpdate(context, hint)) return Promise.resolve({ ok: true, summary: emptyScmSummary() });
    return pods.submit({
      namespace: hint.namespace ?? "",
      name: hint.name,
      ...(hint.uid === undefined ? {} : { uid: hint.uid }),
    });
  };
}

/**
 * A Resource-mode Pod update whose object is, but for its status, what the last pass for that pod read (see
 * `podMemory`). Trusting the claim is safe: a false one can only skip work, never change SPIRE.
 */
function statusOnlyUpdate(context: ScmSyncContext, hint: ObjectHint): boolean {
  if (hint.action !== "update" || hint.uid === undefined || context.podMemory === undefined) return false;
  const digest = podDigest(hint.object);
  return digest !== undefined && context.podMemory.isCurrent(hint.uid, digest);
}

/** Events that may run the full pass share one run; others run one at a time per object. */
function otherEventKey(hint: ObjectHint): string {
  if (hint.kind === "ClusterStaticEntry" || (hint.kind === "ClusterSPIFFEID" && hint.action !== "add"))
    return "full-pass";
  return objectKey(hint);
}

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
