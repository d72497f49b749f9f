/**
 * `pod-admission` (webhook mode): the validating admission webhook for Pods at `/validate`.
 * CREATE registers the pod's entry under the cluster node alias, with an entry ID derived from the
 * pod; the final DELETE removes the entry by that ID, or, when no entry has it (an entry the resync
 * made), the entries of that pod that the registrar owns, found by selectors; nothing else. Pods are
 * never blocked by a SPIRE failure unless `webhook_fail_closed` is set: they are admitted with a
 * warning and the next resync repairs them. Malformed requests get the Go registrar's HTTP errors; everything else is answered
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
import type { NewEntry } from "../../lib/planner/entry.js";
import type { IsOwned } from "../../lib/planner/ownership.js";
import type { PlannerConfig } from "../../lib/planner/planner-config.js";
import type { PodRef } from "../../lib/planner/scope.js";
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
  if (decision.action === "create") return register(decision.entry, deps, logger);
  const deleted = await deps.spire.deleteEntries([decision.entryId]);
  const [byId] = deleted.ok ? deleted.value : [];
  if (byId?.ok && byId.existed) {
    logger.info({ [LogField.deleted]: 1 }, "removed pod entries");
    return undefined;
  }
  return removeBySelectors(decision.pod, deps, logger);
}

/**
 * Creates the pod's entry. When its ID is taken by an entry with other contents (a previous pod of
 * that name whose final DELETE was missed, e.g. a StatefulSet pod recreated with another service
 * account), that entry is brought up to date instead.
 */
async function register(
  entry: NewEntry,
  deps: PodAdmissionDeps,
  logger: Logger,
): Promise<Failure | undefined> {
  const created = await deps.spire.createEntries([entry]);
  if (!created.ok) return rpcFailure(created.error, `entry for ${entry.spiffeId} not created`);
  let [result] = created.value;
  if (result && !result.ok && result.code === Code.AlreadyExists && entry.id !== undefined) {
    const updated = await deps.spire.updateEntries([{ ...entry, id: entry.id }]);
    if (!updated.ok) return rpcFailure(updated.error, `entry ${entry.id} not updated to ${entry.spiffeId}`);
    const [update] = updated.value;
    result = update?.ok ? { ...update, existed: true } : update;
  }
  if (result && !result.ok) {
    const shown = `SPIRE refused the entry for ${entry.spiffeId}: ${result.message}`;
    return { shown, detail: shown, code: Code[result.code] ?? String(result.code) };
  }
  logger.info(
    { [LogField.spiffeId]: entry.spiffeId, [LogField.entryId]: result?.entry.id },
    "registered pod",
  );
  return undefined;
}

/** Removes the entries of the pod that the registrar owns, found by the pod's selectors. */
async function removeBySelectors(
  pod: PodRef,
  deps: PodAdmissionDeps,
  logger: Logger,
): Promise<Failure | undefined> {
  const { namespace, name } = pod;
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
