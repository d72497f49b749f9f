/**
 * `spiffeid-validation` (crd mode, `webhook_enabled`): the validating admission webhook for
 * SpiffeID resources at `/validate-spiffeid-spiffe-io-v1beta1-spiffeid`, the Go registrar's path.
 * CREATE and UPDATE run the spec checks (lib/admission/spiffeid-validation.ts); CREATE also asks
 * SPIRE for entries with exactly the same selectors and denies a duplicate; DELETE is allowed.
 * A denial is `allowed: false` with status 403 and the message, in the request's review version.
 * Unlike pod admission this webhook fails closed on a SPIRE error: admitting an unchecked
 * SpiffeID is what the check exists to prevent, and the user can simply retry.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import { addAdmissionRoute } from "../../lib/admission/admission-route.js";
import type { AdmissionReviewIn, Verdict } from "../../lib/admission/review.js";
import {
  decideSpiffeIdAdmission,
  duplicateMessage,
  type SpiffeIdValidationContext,
} from "../../lib/admission/spiffeid-validation.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import { LogField } from "../../lib/log/log-fields.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import type { SpireClient } from "../../lib/spire/client.js";
import { spireFailureSummary } from "../../lib/spire/errors.js";

/** The controller-runtime path the Go registrar served and its ValidatingWebhookConfiguration names. */
export const SPIFFEID_VALIDATION_PATH = "/validate-spiffeid-spiffe-io-v1beta1-spiffeid";

export interface SpiffeIdValidationDeps {
  readonly validation: SpiffeIdValidationContext;
  /** A client whose deadline is well inside the webhook's timeout. */
  readonly spire: Pick<SpireClient, "listEntries">;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

export function createApp(deps: SpiffeIdValidationDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);

  addAdmissionRoute(app, SPIFFEID_VALIDATION_PATH, (review) => validate(review, deps), deps.metrics);
  return app;
}

async function validate(review: AdmissionReviewIn, deps: SpiffeIdValidationDeps): Promise<Verdict> {
  const { request } = review;
  const logger = deps.logger.child({
    [LogField.admissionUid]: request.uid,
    [LogField.operation]: request.operation,
    [LogField.namespace]: request.namespace,
    [LogField.name]: request.name,
  });
  const decision = decideSpiffeIdAdmission(request, deps.validation);
  if (decision.action === "allow") {
    logger.debug(decision.reason);
    return { allowed: true };
  }
  if (decision.action === "deny") {
    logger.info(`denied SpiffeID: ${decision.message}`);
    return { allowed: false, message: decision.message };
  }
  const check = decision.duplicateCheck;
  const listed = await deps.spire.listEntries({ selectors: { selectors: check.selectors, match: "exact" } });
  if (!listed.ok) {
    logger.error({ [LogField.error]: listed.error }, "could not list SPIRE entries for the duplicate check");
    return {
      allowed: false,
      message: `unable to check SPIRE for duplicate entries, try again: ${spireFailureSummary(listed.error)}`,
    };
  }
  const duplicate = duplicateMessage(check, listed.value);
  if (duplicate !== undefined) {
    logger.info(
      { [LogField.spiffeId]: check.spiffeId, [LogField.parentId]: check.parentId },
      "denied SpiffeID: SPIRE already has this entry",
    );
    return { allowed: false, message: duplicate };
  }
  return { allowed: true };
}
