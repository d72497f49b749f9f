/**
 * What every event function does with a delivery, independent of how it arrived: read the CloudEvent
 * (headers and body), read the object hint for the kinds the function handles, run the handler, answer
 * a status, and count the event by kind, type and outcome. A broken event is answered 400 and one for
 * another function 422, with the reason logged. The same handler serves HTTP (`addEventRoute`) and the
 * in-process bridge of `registrar serve`, which hands events over without an HTTP hop.
 * Metric labels come from closed sets (the function's kinds, the ApiServerSource types, `other`), so
 * made-up kinds or types cannot grow the metrics.
 */
import type { Hono } from "hono";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import type { EventOutcome, Metrics } from "../metrics/metrics.js";
import { type ObjectHint, readObjectHint } from "./apiserver-source.js";
import { type CloudEvent, type HeaderLookup, parseCloudEvent } from "./cloudevent.js";

/** One delivery: the HTTP headers (any case) and the body text. */
export interface EventDelivery {
  readonly headers: HeaderLookup;
  readonly body: string;
}

/** The answer to a delivery; `body` is sent as JSON (none for 204). */
export interface EventReply {
  readonly status: number;
  readonly body?: Readonly<Record<string, unknown>>;
}

export type EventHandler = (delivery: EventDelivery) => Promise<EventReply>;

export interface EventHandlerOptions {
  /** The object kinds this function handles, e.g. ["Pod", "Node", "Endpoints"]. */
  readonly kinds: readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Handles a well-formed event for one of `kinds`; `logger` names the event and the object. */
  readonly handle: (hint: ObjectHint, logger: Logger, event: CloudEvent) => Promise<EventReply>;
}

const KNOWN_TYPES = new Set(
  ["ref", "resource"].flatMap((mode) =>
    ["add", "update", "delete"].map((action) => `dev.knative.apiserver.${mode}.${action}`),
  ),
);

export function eventHandler(options: EventHandlerOptions): EventHandler {
  const { kinds, logger, metrics } = options;
  const count = (kind: string | undefined, type: string | undefined, status: number) =>
    metrics?.event(
      kind !== undefined && kinds.includes(kind) ? kind : "other",
      type !== undefined && KNOWN_TYPES.has(type) ? type : "other",
      outcomeOf(status),
    );

  return async (delivery) => {
    const parsed = parseCloudEvent(delivery.headers, delivery.body);
    if (!parsed.ok) {
      count(undefined, undefined, 400);
      return { status: 400, body: { error: parsed.message } };
    }
    const event = parsed.event;
    const read = readObjectHint(event, kinds);
    if (!read.ok) {
      logger.warn({ [LogField.eventId]: event.id, [LogField.eventType]: event.type }, read.message);
      const status = read.reason === "malformed" ? 400 : 422;
      count(event.extensions.kind, event.type, status);
      return { status, body: { error: read.message } };
    }
    const { hint } = read;
    const reply = await options.handle(
      hint,
      logger.child({
        [LogField.eventId]: event.id,
        [LogField.eventType]: event.type,
        [LogField.kind]: hint.kind,
        [LogField.namespace]: hint.namespace,
        [LogField.name]: hint.name,
      }),
      event,
    );
    count(hint.kind, event.type, reply.status);
    return reply;
  };
}

/** Serves `handler` for POSTs to `path`. */
export function addEventRoute(app: Hono, path: string, handler: EventHandler): void {
  app.post(path, async (c) => {
    const reply = await handler({ headers: c.req.raw.headers, body: await c.req.text() });
    return reply.body === undefined
      ? c.body(null, reply.status as 204)
      : c.json(reply.body, reply.status as 200);
  });
}

/** Headers of an in-process delivery, from a record with lower-case names. */
export function recordHeaders(record: Readonly<Record<string, string>>): HeaderLookup {
  return {
    get: (name) => record[name.toLowerCase()] ?? null,
    forEach: (callback) => {
      for (const [name, value] of Object.entries(record)) callback(value, name);
    },
  };
}

function outcomeOf(status: number): EventOutcome {
  if (status < 300) return "done";
  if (status === 400) return "malformed";
  if (status === 422) return "foreign";
  if (status === 503) return "retry";
  return "error";
}
