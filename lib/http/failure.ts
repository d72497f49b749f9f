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
  const reply = failureReply(error, logger);
  return c.json(reply.body, reply.status as 500);
}

/** `failureResponse` as a status and JSON body (for handlers not tied to an HTTP framework). */
export function failureReply(
  error: unknown,
  logger: Logger,
): { status: number; body: { error: string; retryable: boolean } } {
  if (error instanceof SpireError || error instanceof KubeApiError) {
    logger.error({ [LogField.error]: error }, error.message);
    return {
      status: error.retryable ? 503 : 500,
      body: { error: error.message, retryable: error.retryable },
    };
  }
  throw error;
}
