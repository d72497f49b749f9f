/**
 * Maps the expected failures of a handler to HTTP answers an event sender understands: 503 when
 * the same request could succeed later (SPIRE or the API server unavailable), so Knative retries
 * it; 500 when it cannot succeed until an operator acts (e.g. missing RBAC). Anything else is a
 * bug and is rethrown.
 */
import type { Context } from "hono";
import type { Logger } from "pino";
import { KubeApiError } from "../k8s/errors.js";
import { LogField } from "../log/log-fields.js";
import { SpireError } from "../spire/errors.js";

export function failureResponse(c: Context, error: unknown, logger: Logger): Response {
  if (error instanceof SpireError || error instanceof KubeApiError) {
    const status = error.retryable ? 503 : 500;
    logger.error({ [LogField.error]: error }, error.message);
    return c.json({ error: error.message, retryable: error.retryable }, status);
  }
  throw error;
}
