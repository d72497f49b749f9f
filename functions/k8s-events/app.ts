/**
 * `k8s-events`: receives Knative ApiServerSource CloudEvents for Pods, Nodes, EndpointSlices and
 * Endpoints (Reference or Resource mode, binary or structured) and reconciles the scope each names
 * (for the last two, their Service's, whichever `endpoints_source` is). The event only says which
 * object to look at: the handler re-reads it from the API server.
 * In CRD mode (deps.crd) the same events keep the pods' and nodes' SpiffeID resources in step instead
 * (lib/crd-sync); the SpiffeID events then sync SPIRE. In cluster-spiffeid mode (deps.clusterSpiffeId) it also
 * takes Namespace events and the events of spire-controller-manager's three custom resources, and each
 * event runs a pass scoped to the pods it concerns (lib/scm-sync).
 * Replies: 204 when done, 400 for a malformed event, 422 for an event this function does not
 * handle, 503 when SPIRE or the API server is unavailable (the sender retries), 500 otherwise.
 * At most one reconcile per object is in flight: events arriving meanwhile wait for one more run that
 * starts after it, and the pods of concurrent events share their SPIRE lookups and writes.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import type { CrdContext, CrdResult } from "../../lib/crd-sync/context.js";
import { reconcileEndpointSliceSpiffeIds, reconcileServiceSpiffeIds } from "../../lib/crd-sync/endpoints.js";
import { reconcileNodeSpiffeId } from "../../lib/crd-sync/node-spiffeid.js";
import { reconcilePodSpiffeId } from "../../lib/crd-sync/pod-spiffeid.js";
import { crdResultReply } from "../../lib/crd-sync/result-response.js";
import type { ObjectHint } from "../../lib/events/apiserver-source.js";
import {
  addEventRoute,
  type EventAck,
  type EventHandler,
  eventHandler,
} from "../../lib/events/event-endpoint.js";
import { failureReply } from "../../lib/http/failure.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import type { ReconcileContext } from "../../lib/reconcile/context.js";
import { createEventReconciler, type EventReconciler } from "../../lib/reconcile/event-reconciler.js";
import type { EventOutcome } from "../../lib/reconcile/pod-batch.js";
import { objectKey, singleFlight } from "../../lib/reconcile/single-flight.js";
import type { ScmSyncContext } from "../../lib/scm-sync/context.js";
import { createScmEventQueue, SCM_EVENT_KINDS, scmResultReply } from "../../lib/scm-sync/events.js";

/** Reconcile and webhook modes pass `reconcile`; CRD mode passes `crd`; cluster-spiffeid mode `clusterSpiffeId`. */
export type K8sEventsDeps = {
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  /** Absent when metrics are off (`metrics_addr = "0"`). */
  readonly metrics?: Metrics;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
  /** When deliveries are answered (config `event_ack`; default `processed`). */
  readonly ack?: EventAck;
} & (
  | { readonly reconcile: ReconcileContext; readonly crd?: undefined; readonly clusterSpiffeId?: undefined }
  | { readonly crd: CrdContext; readonly reconcile?: undefined; readonly clusterSpiffeId?: undefined }
  | { readonly clusterSpiffeId: ScmSyncContext; readonly reconcile?: undefined; readonly crd?: undefined }
);

const KINDS = ["Pod", "Node", "EndpointSlice", "Endpoints"] as const;

export function createApp(deps: K8sEventsDeps, handler: EventHandler = createHandler(deps)): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
  addEventRoute(app, "/", handler);
  return app;
}

/**
 * The function without its HTTP framing (what `registrar serve` hands its in-process events to). One per
 * process: it holds the single flight per object and the batching across concurrent events.
 */
export function createHandler(deps: K8sEventsDeps): EventHandler {
  const reconciler = deps.reconcile
    ? createEventReconciler(deps.reconcile, deps.now ? { now: deps.now } : {})
    : undefined;
  const crdQueue = deps.crd
    ? singleFlight(objectKey, (hint: ObjectHint) => reconcileCrdHint(deps.crd, hint))
    : undefined;
  const scmQueue = deps.clusterSpiffeId ? createScmEventQueue(deps.clusterSpiffeId) : undefined;
  return eventHandler({
    kinds: scmQueue ? SCM_EVENT_KINDS : KINDS,
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.ack ? { ack: deps.ack } : {}),
    async handle(hint, logger) {
      try {
        if (crdQueue !== undefined) return crdResultReply(await crdQueue.submit(hint), logger, deps.metrics);
        if (scmQueue !== undefined) return scmResultReply(await scmQueue(hint), logger, deps.metrics);
        const result = await reconcileHint(reconciler as EventReconciler, hint);
        if (!result.ok) return failureReply(result.error, logger);
        logger.info({ ...result.summary }, "reconciled");
        return { status: 204 };
      } catch (error) {
        return failureReply(error, logger);
      }
    },
  });
}

function reconcileHint(reconciler: EventReconciler, hint: ObjectHint): Promise<EventOutcome> {
  switch (hint.kind) {
    case "Pod":
      return reconciler.pod({ namespace: hint.namespace ?? "", name: hint.name });
    case "Node":
      return reconciler.node(hint.name);
    case "EndpointSlice":
      return reconciler.endpointSlice(hint.namespace ?? "", hint.name);
    default:
      return reconciler.service(hint.namespace ?? "", hint.name);
  }
}

function reconcileCrdHint(context: CrdContext, hint: ObjectHint): Promise<CrdResult> {
  switch (hint.kind) {
    case "Pod":
      return reconcilePodSpiffeId(context, { namespace: hint.namespace ?? "", name: hint.name });
    case "Node":
      return reconcileNodeSpiffeId(context, hint.name);
    case "EndpointSlice":
      return reconcileEndpointSliceSpiffeIds(context, hint.namespace ?? "", hint.name);
    default:
      return reconcileServiceSpiffeIds(context, { namespace: hint.namespace ?? "", name: hint.name });
  }
}
