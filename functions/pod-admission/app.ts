/**
 * `pod-admission` (webhook mode): the validating admission webhook for Pods at `/validate`.
 * CREATE registers the pod's entry under the cluster node alias; the final DELETE removes the
 * entries of that pod that the registrar owns, and nothing else. Pods are never blocked by a SPIRE
 * failure unless `webhook_fail_closed` is set: they are admitted with a warning and the next resync
 * repairs them. Malformed requests get the Go registrar's HTTP errors; everything else is answered
 * as an AdmissionReview in the request's version.
 */
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
  if (deps.config.webhookFailClosed) {
    logger.error(`denying pod: ${failure}`);
    return { allowed: false, message: `SPIRE registrar (webhook_fail_closed): ${failure}` };
  }
  logger.warn(`admitting pod without SPIRE change, the next resync repairs it: ${failure}`);
  return { allowed: true, warnings: [`SPIRE registrar: ${failure}; the next resync will repair it`] };
}

/** Applies the decision to SPIRE; answers a description of what failed, if anything did. */
async function carryOut(
  decision: Exclude<PodAdmission, { action: "allow" }>,
  deps: PodAdmissionDeps,
  logger: Logger,
): Promise<string | undefined> {
  if (decision.action === "create") {
    const created = await deps.spire.createEntries([decision.entry]);
    if (!created.ok)
      return `SPIRE server unavailable, entry for ${decision.entry.spiffeId} not created (${created.error.message})`;
    const [result] = created.value;
    if (result && !result.ok)
      return `SPIRE refused the entry for ${decision.entry.spiffeId}: ${result.message}`;
    logger.info(
      { [LogField.spiffeId]: decision.entry.spiffeId, [LogField.entryId]: result?.entry.id },
      "registered pod",
    );
    return undefined;
  }
  const { namespace, name } = decision.pod;
  const listed = await deps.spire.listEntries({
    selectors: { selectors: podSelectors(namespace, name), match: "exact" },
  });
  if (!listed.ok)
    return `SPIRE server unavailable, entries of pod ${namespace}/${name} not removed (${listed.error.message})`;
  const owned = listed.value.filter(deps.isOwned);
  if (owned.length === 0) return undefined;
  const deleted = await deps.spire.deleteEntries(owned.map((entry) => entry.id));
  if (!deleted.ok)
    return `SPIRE server unavailable, entries of pod ${namespace}/${name} not removed (${deleted.error.message})`;
  const refused = deleted.value.filter((result) => !result.ok);
  if (refused.length > 0)
    return `SPIRE refused to delete ${refused.length} entries of pod ${namespace}/${name}`;
  logger.info({ [LogField.deleted]: owned.length }, "removed pod entries");
  return undefined;
}
