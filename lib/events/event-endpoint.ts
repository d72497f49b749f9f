/**
 * What every event function does with a delivery, independent of how it arrived: read the CloudEvent
 * (headers and body), read the object hint for the kinds the function handles, run the handler, answer
 * a status, and count the event by kind, type and outcome. A broken event is answered 400 and one for
 * another function 422, with the reason logged. The same endpoint serves HTTP (`addEventRoute`) and the
 * in-process bridge of `registrar serve`, which hands events over without an HTTP hop.
 *
 * When to answer (`event_ack`): `processed` answers once the event's reconcile is done (204, or 503 so
 * the sender retries); `accepted` answers 202 as soon as a well-formed event is taken, and the reconcile
 * runs in the background, retried here with a backoff while it is retryable (then the resync repairs).
 * A sender that delivers one event at a time and waits for each answer (Knative's ApiServerSource
 * adapter does) otherwise makes every event wait for the previous one's SPIRE writes, and concurrent
 * events can never share them. An accepted event has been answered, so nobody sends it again: a
 * graceful stop (`drain`) keeps retrying it, at the first backoff's pace, until the stop's deadline.
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

/** When a delivery is answered: after its reconcile, or as soon as it is taken (see above). */
export type EventAck = "processed" | "accepted";

export interface EventHandler {
  handle(delivery: EventDelivery): Promise<EventReply>;
  /**
   * For a graceful stop: lets the reconciles of accepted events finish, for at most `timeoutMs`.
   * Events waiting for a retry are retried at once, and then every first backoff until the deadline.
   */
  drain(timeoutMs: number): Promise<void>;
}

/** Waits between background retries of an accepted event (about a minute in all). */
export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000];

export interface EventHandlerOptions {
  /** The object kinds this function handles, e.g. ["Pod", "Node", "EndpointSlice"]. */
  readonly kinds: readonly string[];
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Handles a well-formed event for one of `kinds`; `logger` names the event and the object. */
  readonly handle: (hint: ObjectHint, logger: Logger, event: CloudEvent) => Promise<EventReply>;
  /** Default `processed`. */
  readonly ack?: EventAck;
  /** Background retries of accepted events whose reconcile answered 503 (default DEFAULT_RETRY_DELAYS_MS). */
  readonly retryDelaysMs?: readonly number[];
}

const KNOWN_TYPES = new Set(
  ["ref", "resource"].flatMap((mode) =>
    ["add", "update", "delete"].map((action) => `dev.knative.apiserver.${mode}.${action}`),
  ),
);

export function eventHandler(options: EventHandlerOptions): EventHandler {
  const { kinds, logger, metrics } = options;
  const retryDelaysMs = options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const count = (kind: string | undefined, type: string | undefined, status: number) =>
    metrics?.event(
      kind !== undefined && kinds.includes(kind) ? kind : "other",
      type !== undefined && KNOWN_TYPES.has(type) ? type : "other",
      outcomeOf(status),
    );
  const background = new Set<Promise<void>>();
  const waits = new Set<() => void>();
  /** Set by `drain`: from then on retries come every first backoff until this time (ms since the epoch). */
  let drainDeadline: number | undefined;
  /** The wait before retry number `attempt`, or undefined when the event is given up on. */
  const retryDelay = (attempt: number): number | undefined => {
    if (drainDeadline === undefined) return retryDelaysMs[attempt - 1];
    const pace = retryDelaysMs[0];
    const left = drainDeadline - Date.now();
    return pace !== undefined && left > 0 ? Math.min(pace, left) : undefined;
  };
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waits.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waits.add(done);
    });

  /** An accepted event's reconcile: retried while it answers 503, counted once at the end. */
  const reconcileAccepted = async (hint: ObjectHint, eventLogger: Logger, event: CloudEvent) => {
    for (let attempt = 1; ; attempt++) {
      let reply: EventReply;
      try {
        reply = await options.handle(hint, eventLogger, event);
      } catch (error) {
        eventLogger.error({ [LogField.error]: error }, "event handler failed");
        count(hint.kind, event.type, 500);
        return;
      }
      const delay = reply.status === 503 ? retryDelay(attempt) : undefined;
      if (delay !== undefined) {
        await wait(delay);
        continue;
      }
      if (reply.status >= 300) {
        eventLogger.error(
          { status: reply.status, attempts: attempt },
          "accepted event not reconciled; the next resync repairs what it was about",
        );
      }
      count(hint.kind, event.type, reply.status);
      return;
    }
  };

  return {
    async handle(delivery) {
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
      const eventLogger = logger.child({
        [LogField.eventId]: event.id,
        [LogField.eventType]: event.type,
        [LogField.kind]: hint.kind,
        [LogField.namespace]: hint.namespace,
        [LogField.name]: hint.name,
      });
      if (options.ack === "accepted") {
        const work: Promise<void> = reconcileAccepted(hint, eventLogger, event).finally(() =>
          background.delete(work),
        );
        background.add(work);
        return { status: 202 };
      }
      const reply = await options.handle(hint, eventLogger, event);
      count(hint.kind, event.type, reply.status);
      return reply;
    },
    async drain(timeoutMs) {
      drainDeadline = Date.now() + timeoutMs;
      for (const done of [...waits]) done();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...background]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
    },
  };
}

/** Serves `handler` for POSTs to `path`. */
export function addEventRoute(app: Hono, path: string, handler: EventHandler): void {
  app.post(path, async (c) => {
    const reply = await handler.handle({ headers: c.req.raw.headers, body: await c.req.text() });
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
