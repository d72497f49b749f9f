/**
 * Counts handled events by kind, CloudEvent type and outcome. The handler notes what the event was
 * about; the middleware reads the outcome from the response status once the handler is done.
 */
import type { MiddlewareHandler } from "hono";
import type { EventOutcome, Metrics } from "./metrics.js";

const notes = new WeakMap<Request, { kind: string; type: string }>();

/** Records, for the metrics, which object kind and event type a request carried. */
export function noteEvent(request: Request, kind: string, type: string): void {
  notes.set(request, { kind, type });
}

export function eventMetrics(metrics: Metrics | undefined): MiddlewareHandler {
  return async function eventMetricsMiddleware(c, next) {
    await next();
    if (!metrics) return;
    const note = notes.get(c.req.raw);
    metrics.event(note?.kind ?? "unknown", note?.type ?? "unknown", outcomeOf(c.res.status));
  };
}

function outcomeOf(status: number): EventOutcome {
  if (status < 300) return "done";
  if (status === 400) return "malformed";
  if (status === 422) return "foreign";
  if (status === 503) return "retry";
  return "error";
}
