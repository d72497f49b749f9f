/**
 * What every event function does first with a request: read the CloudEvent, note it for the
 * metrics, and read the object hint for the kinds the function handles. A broken event is answered
 * 400 and one for another function 422, with the reason logged; the handler gets the hint and a
 * logger that names the event and the object.
 */
import type { Context } from "hono";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { noteEvent } from "../metrics/event-metrics.js";
import { type ObjectHint, readObjectHint } from "./apiserver-source.js";
import { type CloudEvent, parseCloudEvent } from "./cloudevent.js";

export type EventRequest =
  | { readonly ok: true; readonly event: CloudEvent; readonly hint: ObjectHint; readonly logger: Logger }
  | { readonly ok: false; readonly response: Response };

export async function readEventRequest(
  c: Context,
  kinds: readonly string[],
  logger: Logger,
): Promise<EventRequest> {
  const parsed = parseCloudEvent(c.req.raw.headers, await c.req.text());
  if (!parsed.ok) return { ok: false, response: c.json({ error: parsed.message }, 400) };
  const event = parsed.event;
  noteEvent(c.req.raw, event.extensions.kind ?? "unknown", event.type);
  const read = readObjectHint(event, kinds);
  if (!read.ok) {
    logger.warn({ [LogField.eventId]: event.id, [LogField.eventType]: event.type }, read.message);
    return { ok: false, response: c.json({ error: read.message }, read.reason === "malformed" ? 400 : 422) };
  }
  const hint = read.hint;
  return {
    ok: true,
    event,
    hint,
    logger: logger.child({
      [LogField.eventId]: event.id,
      [LogField.eventType]: event.type,
      [LogField.kind]: hint.kind,
      [LogField.namespace]: hint.namespace,
      [LogField.name]: hint.name,
    }),
  };
}
