/**
 * `spiffeid-events` (CRD mode): receives ApiServerSource CloudEvents for SpiffeID resources (any action,
 * Reference or Resource mode) and syncs the named SpiffeID to SPIRE. The event only names the object; the
 * handler re-reads it, so a replayed, reordered or forged event is at worst a no-op.
 * Replies: 204 when done (also when SPIRE refused the entry: that is reported in the SpiffeID's Ready
 * condition, and retrying would not help), 400 for a malformed event, 422 for an event about another kind,
 * 503 when SPIRE or the API server is unavailable (the sender retries), 500 otherwise.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import type { CrdContext } from "../../lib/crd-sync/context.js";
import { crdResultResponse } from "../../lib/crd-sync/result-response.js";
import { syncSpiffeIdByName } from "../../lib/crd-sync/sync-spiffeid.js";
import { readObjectHint } from "../../lib/events/apiserver-source.js";
import { parseCloudEvent } from "../../lib/events/cloudevent.js";
import { failureResponse } from "../../lib/http/failure.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import { LogField } from "../../lib/log/log-fields.js";
import { eventMetrics, noteEvent } from "../../lib/metrics/event-metrics.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import { SPIFFEID_GROUP, SPIFFEID_KIND } from "../../lib/planner/spiffeid.js";

export interface SpiffeIdEventsDeps {
  readonly crd: CrdContext;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

export function createApp(deps: SpiffeIdEventsDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
  app.use("/", eventMetrics(deps.metrics));

  app.post("/", async (c) => {
    const parsed = parseCloudEvent(c.req.raw.headers, await c.req.text());
    if (!parsed.ok) return c.json({ error: parsed.message }, 400);
    const event = parsed.event;
    noteEvent(c.req.raw, event.extensions.kind ?? "unknown", event.type);
    const read = readObjectHint(event, [SPIFFEID_KIND]);
    const eventFields = { [LogField.eventId]: event.id, [LogField.eventType]: event.type };
    if (!read.ok) {
      deps.logger.warn(eventFields, read.message);
      return c.json({ error: read.message }, read.reason === "malformed" ? 400 : 422);
    }
    const hint = read.hint;
    if (hint.apiVersion.split("/")[0] !== SPIFFEID_GROUP) {
      const message = `event ${event.id} is about ${hint.apiVersion} ${hint.kind}; this function handles ${SPIFFEID_GROUP} SpiffeIDs`;
      deps.logger.warn(eventFields, message);
      return c.json({ error: message }, 422);
    }
    if (hint.namespace === undefined) {
      const message = `event ${event.id}: a SpiffeID is namespaced, but the event names no namespace`;
      deps.logger.warn(eventFields, message);
      return c.json({ error: message }, 400);
    }
    const logger = deps.logger.child({
      ...eventFields,
      [LogField.kind]: hint.kind,
      [LogField.namespace]: hint.namespace,
      [LogField.name]: hint.name,
    });
    try {
      const result = await syncSpiffeIdByName({ ...deps.crd, logger }, hint.namespace, hint.name);
      return crdResultResponse(c, result, logger);
    } catch (error) {
      return failureResponse(c, error, logger);
    }
  });
  return app;
}
