/**
 * `cluster-spiffeid-validation` (cluster-spiffeid mode): the validating admission webhook for
 * spire-controller-manager's ClusterSPIFFEIDs and ClusterFederatedTrustDomains, at SCM's two paths, so a
 * ValidatingWebhookConfiguration written for SCM works unchanged. CREATE and UPDATE run SCM's spec checks
 * and, when configured, this project's tenant rules (lib/scm-admission/cluster-validation.ts); anything
 * else is allowed. A denial is `allowed: false` with status 403 and SCM's message, in the request's review
 * version. Nothing here talks to SPIRE or Kubernetes: the request carries everything the checks read.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import { addAdmissionRoute } from "../../lib/admission/admission-route.js";
import type { AdmissionReviewIn, Verdict } from "../../lib/admission/review.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import { LogField } from "../../lib/log/log-fields.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import {
  type ClusterValidationContext,
  decideClusterAdmission,
} from "../../lib/scm-admission/cluster-validation.js";

/** SCM's controller-runtime paths (config/webhook/manifests.yaml); both take either kind. */
export const CLUSTER_SPIFFEID_VALIDATION_PATH = "/validate-spire-spiffe-io-v1alpha1-clusterspiffeid";
export const CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH =
  "/validate-spire-spiffe-io-v1alpha1-clusterfederatedtrustdomain";

export interface ClusterSpiffeIdValidationDeps {
  /** The trust domain and the tenant rules (off: SCM's checks only). */
  readonly validation: ClusterValidationContext;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
}

export function createApp(deps: ClusterSpiffeIdValidationDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);

  const decide = async (review: AdmissionReviewIn) => validate(review, deps);
  addAdmissionRoute(app, CLUSTER_SPIFFEID_VALIDATION_PATH, decide, deps.metrics);
  addAdmissionRoute(app, CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH, decide, deps.metrics);
  return app;
}

function validate(review: AdmissionReviewIn, deps: ClusterSpiffeIdValidationDeps): Verdict {
  const { request } = review;
  const logger = deps.logger.child({
    [LogField.admissionUid]: request.uid,
    [LogField.operation]: request.operation,
    [LogField.kind]: request.kind?.kind,
    [LogField.name]: request.name,
  });
  const decision = decideClusterAdmission(request, deps.validation);
  if (decision.action === "deny") {
    logger.info(`denied ${request.kind?.kind ?? "object"}: ${decision.message}`);
    return { allowed: false, message: decision.message };
  }
  logger.debug(decision.reason);
  return { allowed: true, ...(decision.warnings !== undefined && { warnings: decision.warnings }) };
}
