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
import { crdResultResponse } from "../../lib/crd-sync/result-response.js";
import { syncSpiffeIdByName } from "../../lib/crd-sync/sync-spiffeid.js";
import { readEventRequest } from "../../lib/events/event-request.js";
import { failureResponse } from "../../lib/http/failure.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import { eventMetrics } from "../../lib/metrics/event-metrics.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import { SPIFFEID_GROUP, SPIFFEID_KIND } from "../../lib/planner/spiffeid.js";
import { singleFlight } from "../../lib/reconcile/single-flight.js";

export interface SpiffeIdEventsDeps {
  readonly crd: CrdContext;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

export function createApp(deps: SpiffeIdEventsDeps): Hono {
  const app = new Hono();
  // One sync per SpiffeID at a time; events arriving meanwhile share one more sync after it.
  const syncs = singleFlight(
    ({ namespace, name }: { namespace: string; name: string }) => `${namespace}/${name}`,
    ({ namespace, name }) => syncSpiffeIdByName(deps.crd, namespace, name),
  );
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
  app.use("/", eventMetrics(deps.metrics));

  app.post("/", async (c) => {
    const read = await readEventRequest(c, [SPIFFEID_KIND], deps.logger);
    if (!read.ok) return read.response;
    const { event, hint, logger } = read;
    if (hint.apiVersion.split("/")[0] !== SPIFFEID_GROUP) {
      const message = `event ${event.id} is about ${hint.apiVersion} ${hint.kind}; this function handles ${SPIFFEID_GROUP} SpiffeIDs`;
      logger.warn(message);
      return c.json({ error: message }, 422);
    }
    if (hint.namespace === undefined) {
      const message = `event ${event.id}: a SpiffeID is namespaced, but the event names no namespace`;
      logger.warn(message);
      return c.json({ error: message }, 400);
    }
    try {
      const result = await syncs.submit({ namespace: hint.namespace, name: hint.name });
      return crdResultResponse(c, result, logger, deps.metrics);
    } catch (error) {
      return failureResponse(c, error, logger);
    }
  });
  return app;
}
