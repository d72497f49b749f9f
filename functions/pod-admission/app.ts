/**
 * `pod-admission` (webhook mode): the validating admission webhook for Pods at `/validate`.
 * CREATE registers the pod's entry under the cluster node alias; the final DELETE removes the
 * entries of that pod that the registrar owns, and nothing else. Pods are never blocked by a SPIRE
 * failure unless `webhook_fail_closed` is set: they are admitted with a warning and the next resync
 * repairs them. Malformed requests get the Go registrar's HTTP errors; everything else is answered
 * as an AdmissionReview in the request's version.
 */
import { Code } from "@connectrpc/connect";
import { Hono } from "hono";
import type { Logger } from "pino";
import { addAdmissionRoute } from "../../lib/admission/admission-route.js";
import { decidePodAdmission, type PodAdmission } from "../../lib/admission/pod-decision.js";
import type { AdmissionReviewIn, Verdict } from "../../lib/admission/review.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import { LogField } from "../../lib/log/log-fields.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import type { IsOwned } from "../../lib/planner/ownership.js";
import type { PlannerConfig } from "../../lib/planner/planner-config.js";
import { podSelectors } from "../../lib/planner/selectors.js";
import type { SpireClient } from "../../lib/spire/client.js";
import { type SpireError, spireFailureSummary } from "../../lib/spire/errors.js";

export interface PodAdmissionDeps {
  readonly config: PlannerConfig & { readonly webhookFailClosed: boolean };
  /** A client whose deadline is well inside the webhook's timeout. */
  readonly spire: SpireClient;
  readonly isOwned: IsOwned;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

export function createApp(deps: PodAdmissionDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);

  addAdmissionRoute(app, "/validate", (review) => admit(review, deps), deps.metrics);
  return app;
}

async function admit(review: AdmissionReviewIn, deps: PodAdmissionDeps): Promise<Verdict> {
  const { request } = review;
  const logger = deps.logger.child({
    [LogField.admissionUid]: request.uid,
    [LogField.operation]: request.operation,
    [LogField.namespace]: request.namespace,
    [LogField.pod]: request.name,
  });
  const decision = decidePodAdmission(request, deps.config);
  if (decision.action === "allow") {
    logger.debug(decision.reason);
    return { allowed: true, warnings: decision.warnings };
  }
  const failure = await carryOut(decision, deps, logger);
  if (failure === undefined)
    return { allowed: true, warnings: decision.action === "create" ? decision.warnings : [] };
  // The log gets the details (paths, addresses); the API server's user gets what failed, by gRPC code.
  if (deps.config.webhookFailClosed) {
    logger.error({ [LogField.code]: failure.code }, `denying pod: ${failure.shown}: ${failure.detail}`);
    return { allowed: false, message: `SPIRE registrar (webhook_fail_closed): ${failure.shown}` };
  }
  logger.warn(
    { [LogField.code]: failure.code },
    `admitting pod without SPIRE change, the next resync repairs it: ${failure.shown}: ${failure.detail}`,
  );
  return { allowed: true, warnings: [`SPIRE registrar: ${failure.shown}; the next resync will repair it`] };
}

/** A failed SPIRE change: `shown` to the user (no local details), `detail` for the log. */
interface Failure {
  readonly shown: string;
  readonly detail: string;
  readonly code: string;
}

function rpcFailure(error: SpireError, what: string): Failure {
  return { shown: `${spireFailureSummary(error)}, ${what}`, detail: error.message, code: Code[error.code] };
}

/** Applies the decision to SPIRE; answers what failed, if anything did. */
async function carryOut(
  decision: Exclude<PodAdmission, { action: "allow" }>,
  deps: PodAdmissionDeps,
  logger: Logger,
): Promise<Failure | undefined> {
  if (decision.action === "create") {
    const created = await deps.spire.createEntries([decision.entry]);
    if (!created.ok) return rpcFailure(created.error, `entry for ${decision.entry.spiffeId} not created`);
    const [result] = created.value;
    if (result && !result.ok) {
      const shown = `SPIRE refused the entry for ${decision.entry.spiffeId}: ${result.message}`;
      return { shown, detail: shown, code: Code[result.code] ?? String(result.code) };
    }
    logger.info(
      { [LogField.spiffeId]: decision.entry.spiffeId, [LogField.entryId]: result?.entry.id },
      "registered pod",
    );
    return undefined;
  }
  const { namespace, name } = decision.pod;
  const notRemoved = `entries of pod ${namespace}/${name} not removed`;
  const listed = await deps.spire.listEntries({
    selectors: { selectors: podSelectors(namespace, name), match: "exact" },
  });
  if (!listed.ok) return rpcFailure(listed.error, notRemoved);
  const owned = listed.value.filter(deps.isOwned);
  if (owned.length === 0) return undefined;
  const deleted = await deps.spire.deleteEntries(owned.map((entry) => entry.id));
  if (!deleted.ok) return rpcFailure(deleted.error, notRemoved);
  const refused = deleted.value.filter((result) => !result.ok);
  if (refused.length > 0) {
    const shown = `SPIRE refused to delete ${refused.length} entries of pod ${namespace}/${name}`;
    return { shown, detail: shown, code: "refused" };
  }
  logger.info({ [LogField.deleted]: owned.length }, "removed pod entries");
  return undefined;
}
