/**
 * The HTTP answer of a CRD-mode handler result: 204 when done; 503 when the same request can succeed later
 * (SPIRE unavailable, a SpiffeID still being deleted), so Knative redelivers; 500 when it cannot until an
 * operator acts. SPIRE refusing an entry is a success here: it is reported in the SpiffeID's status.
 */
import type { Context } from "hono";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import type { CrdResult } from "./context.js";

export function crdResultResponse(c: Context, result: CrdResult, logger: Logger): Response {
  if (!result.ok) {
    logger.error({ [LogField.error]: result.cause, ...result.summary }, result.message);
    return c.json({ error: result.message, retryable: result.retryable }, result.retryable ? 503 : 500);
  }
  logger.info({ ...result.summary }, "reconciled");
  return c.body(null, 204);
}
