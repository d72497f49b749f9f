/**
 * The HTTP answer of a CRD-mode handler result: 204 when done; 503 when the same request can succeed later
 * (SPIRE unavailable, a SpiffeID still being deleted), so Knative redelivers; 500 when it cannot until an
 * operator acts. SPIRE refusing an entry is a success here: it is reported in the SpiffeID's status.
 */
import type { Logger } from "pino";
import type { EventReply } from "../events/event-endpoint.js";
import { LogField } from "../log/log-fields.js";
import type { Metrics } from "../metrics/metrics.js";
import type { CrdResult, CrdSummary } from "./context.js";

/** Counts a handler's entry writes in `registrar_entries_total` (refused entries as failed). */
export function countCrdEntries(metrics: Metrics | undefined, summary: CrdSummary): void {
  metrics?.entries("created", summary.entriesCreated);
  metrics?.entries("updated", summary.entriesUpdated);
  metrics?.entries("deleted", summary.entriesDeleted);
  metrics?.entries("failed", summary.entriesRejected);
}

export function crdResultReply(result: CrdResult, logger: Logger, metrics?: Metrics): EventReply {
  countCrdEntries(metrics, result.summary);
  if (!result.ok) {
    logger.error({ [LogField.error]: result.cause, ...result.summary }, result.message);
    return {
      status: result.retryable ? 503 : 500,
      body: { error: result.message, retryable: result.retryable },
    };
  }
  logger.info({ ...result.summary }, "reconciled");
  return { status: 204 };
}
