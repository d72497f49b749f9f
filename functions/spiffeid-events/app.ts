/**
 * `spiffeid-events` (CRD mode): receives ApiServerSource CloudEvents for SpiffeID resources (any action,
 * Reference or Resource mode) and syncs the named SpiffeID to SPIRE. The event only names the object; the
 * handler re-reads it, so a replayed, reordered or forged event is at worst a no-op.
 * Replies: 204 when done (also when SPIRE refused the entry: that is reported in the SpiffeID's Ready
 * condition, and retrying would not help), 400 for a malformed event, 422 for an event about another kind,
 * 503 when SPIRE or the API server is unavailable (the sender retries), 500 otherwise.
 * At most one sync per SpiffeID is in flight; events arriving meanwhile wait for one more sync after it.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import type { CrdContext } from "../../lib/crd-sync/context.js";
import { crdResultReply } from "../../lib/crd-sync/result-response.js";
import { syncSpiffeIdByName } from "../../lib/crd-sync/sync-spiffeid.js";
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
import { SPIFFEID_GROUP, SPIFFEID_KIND } from "../../lib/planner/spiffeid.js";
import { singleFlight } from "../../lib/reconcile/single-flight.js";

export interface SpiffeIdEventsDeps {
  readonly crd: CrdContext;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
  /** When deliveries are answered (config `event_ack`; default `processed`). */
  readonly ack?: EventAck;
}

export function createApp(deps: SpiffeIdEventsDeps, handler: EventHandler = createHandler(deps)): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
  addEventRoute(app, "/", handler);
  return app;
}

/** The function without its HTTP framing; one per process (it holds the single flight per SpiffeID). */
export function createHandler(deps: SpiffeIdEventsDeps): EventHandler {
  // One sync per SpiffeID at a time; events arriving meanwhile share one more sync after it.
  const syncs = singleFlight(
    ({ namespace, name }: { namespace: string; name: string }) => `${namespace}/${name}`,
    ({ namespace, name }) => syncSpiffeIdByName(deps.crd, namespace, name),
  );
  return eventHandler({
    kinds: [SPIFFEID_KIND],
    logger: deps.logger,
    ...(deps.metrics ? { metrics: deps.metrics } : {}),
    ...(deps.ack ? { ack: deps.ack } : {}),
    async handle(hint, logger, event) {
      if (hint.apiVersion.split("/")[0] !== SPIFFEID_GROUP) {
        const message = `event ${event.id} is about ${hint.apiVersion} ${hint.kind}; this function handles ${SPIFFEID_GROUP} SpiffeIDs`;
        logger.warn(message);
        return { status: 422, body: { error: message } };
      }
      if (hint.namespace === undefined) {
        const message = `event ${event.id}: a SpiffeID is namespaced, but the event names no namespace`;
        logger.warn(message);
        return { status: 400, body: { error: message } };
      }
      try {
        const result = await syncs.submit({ namespace: hint.namespace, name: hint.name });
        return crdResultReply(result, logger, deps.metrics);
      } catch (error) {
        return failureReply(error, logger);
      }
    },
  });
}
