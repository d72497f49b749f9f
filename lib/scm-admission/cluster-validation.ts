/**
 * What the `cluster-spiffeid-validation` webhook decides for one admission request about a
 * ClusterSPIFFEID or a ClusterFederatedTrustDomain, as SCM v0.6.6's webhooks do: CREATE and UPDATE parse
 * the new object's spec with the core's `parseClusterSpiffeIdSpec` / `parseClusterFederatedTrustDomainSpec`
 * and deny with SCM's message as it is (controller-runtime's `Denied(err.Error())`: no prefix, no field
 * path). UPDATE judges the new object alone, as SCM does (of the old one it only checks that it is there
 * and of the same kind): changing a ClusterFederatedTrustDomain's `trustDomain` is admitted like any valid
 * spec, and the federation pass then deletes the old relationship and creates the new one. Other kinds and
 * operations are allowed: SCM's webhook registration only sends CREATE and UPDATE of these two kinds. The
 * tenant rules of cluster-tenancy.ts run after SCM's checks, when configured.
 *
 * Deliberately not SCM's:
 * - a spec SCM cannot even decode (a TTL like `1d`, a field of the wrong JSON type) is denied with the same
 *   message but status 403, where controller-runtime answers 400 (the API server shows both as
 *   `admission webhook "..." denied the request: <message>`); so is an object of another kind than the
 *   request names, with a message of this project's;
 * - an UPDATE whose stored old object no longer decodes (a bad TTL admitted while the webhook was off) is
 *   judged on the new object alone; controller-runtime decodes the old object too and refuses the update
 *   with its decode error, so such a resource could only be deleted, never fixed;
 * - a ClusterFederatedTrustDomain whose bundle SPIRE cannot take (a symmetric or private JWT key, which SCM
 *   admits) is admitted with a warning saying so.
 * Pure.
 */
import type { AdmissionRequest } from "../admission/review.js";
import { parseClusterFederatedTrustDomainSpec, parseClusterSpiffeIdSpec } from "../scm/index.js";
import {
  type ClusterTenantRules,
  clusterSpiffeIdTenantError,
  federatedTrustDomainTenantError,
  type Requester,
} from "./cluster-tenancy.js";

export const SCM_GROUP = "spire.spiffe.io";
export const SCM_VERSION = "v1alpha1";
export const CLUSTER_SPIFFEID_KIND = "ClusterSPIFFEID";
export const CLUSTER_FEDERATED_TRUST_DOMAIN_KIND = "ClusterFederatedTrustDomain";
type ValidatedKind = typeof CLUSTER_SPIFFEID_KIND | typeof CLUSTER_FEDERATED_TRUST_DOMAIN_KIND;

export interface ClusterValidationContext {
  /** The configured trust domain's name. */
  readonly trustDomain: string;
  readonly tenants: ClusterTenantRules;
}

export type ClusterAdmission =
  | { readonly action: "allow"; readonly reason: string; readonly warnings?: readonly string[] }
  | { readonly action: "deny"; readonly message: string };

/** Decides one AdmissionRequest (the request reached the webhook through either of its paths). */
export function decideClusterAdmission(
  request: AdmissionRequest,
  context: ClusterValidationContext,
): ClusterAdmission {
  const kind = validatedKind(request.kind);
  if (kind === undefined) {
    return {
      action: "allow",
      reason: "admission request received for unhandled object; check the webhook rules",
    };
  }
  const operation = request.operation;
  if (operation !== "CREATE" && operation !== "UPDATE") {
    return { action: "allow", reason: `operation ${String(operation)} is not validated` };
  }
  const shapeError =
    objectError(request.object, "object", kind) ??
    (operation === "UPDATE" ? objectError(request.oldObject, "oldObject", kind) : undefined);
  if (shapeError !== undefined) return { action: "deny", message: shapeError };
  const spec = (request.object as Record<string, unknown>).spec;
  return kind === CLUSTER_SPIFFEID_KIND
    ? decideClusterSpiffeId(spec, requesterOf(request), context)
    : decideFederatedTrustDomain(spec, context);
}

function decideClusterSpiffeId(
  spec: unknown,
  requester: Requester,
  context: ClusterValidationContext,
): ClusterAdmission {
  const parsed = parseClusterSpiffeIdSpec(spec);
  if (!parsed.ok) return { action: "deny", message: parsed.error.message };
  // Parsed, so the spec is an object whose spiffeIDTemplate is a non-empty string.
  const templateText = (spec as { spiffeIDTemplate: string }).spiffeIDTemplate;
  const tenantError = clusterSpiffeIdTenantError(
    parsed.value,
    templateText,
    requester,
    context.trustDomain,
    context.tenants,
  );
  if (tenantError !== undefined) return { action: "deny", message: tenantError };
  return { action: "allow", reason: "valid ClusterSPIFFEID" };
}

function decideFederatedTrustDomain(spec: unknown, context: ClusterValidationContext): ClusterAdmission {
  const parsed = parseClusterFederatedTrustDomainSpec(spec);
  if (!parsed.ok) return { action: "deny", message: parsed.error.message };
  const tenantError = federatedTrustDomainTenantError(parsed.value, context.trustDomain, context.tenants);
  if (tenantError !== undefined) return { action: "deny", message: tenantError };
  const { bundleError } = parsed.value;
  return {
    action: "allow",
    reason: "valid ClusterFederatedTrustDomain",
    ...(bundleError !== undefined && {
      warnings: [
        `spec.trustDomainBundle cannot be sent to SPIRE (${bundleError}): the federation relationship will not be created or updated until the bundle holds only public keys`,
      ],
    }),
  };
}

/** The kind this webhook validates, when the request is about one in the version it knows. */
function validatedKind(kind: AdmissionRequest["kind"]): ValidatedKind | undefined {
  if (kind?.group !== SCM_GROUP || kind.version !== SCM_VERSION) return undefined;
  return kind.kind === CLUSTER_SPIFFEID_KIND || kind.kind === CLUSTER_FEDERATED_TRUST_DOMAIN_KIND
    ? kind.kind
    : undefined;
}

/**
 * Why `object` is not the request's resource, or undefined. An absent `apiVersion` or `kind` is the
 * request's, as Go's decoder fills them in from the type it decodes into; present, they must be it.
 */
function objectError(
  object: unknown,
  field: "object" | "oldObject",
  kind: ValidatedKind,
): string | undefined {
  if (object === undefined || object === null) {
    return `request.${field} is missing: the API server sends the ${kind} with every CREATE and UPDATE`;
  }
  if (typeof object !== "object" || Array.isArray(object)) return `request.${field} must be a JSON object`;
  const { apiVersion, kind: objectKind } = object as Record<string, unknown>;
  const apiVersionWanted = `${SCM_GROUP}/${SCM_VERSION}`;
  if (
    (apiVersion !== undefined && apiVersion !== apiVersionWanted) ||
    (objectKind !== undefined && objectKind !== kind)
  ) {
    return `request.${field} has apiVersion ${JSON.stringify(apiVersion ?? "")} and kind ${JSON.stringify(objectKind ?? "")}, but the request is about a ${apiVersionWanted} ${kind}`;
  }
  return undefined;
}

/** The requesting user; fields of the wrong type count as absent (no name, no groups). */
function requesterOf(request: AdmissionRequest): Requester {
  const userInfo = (request as { userInfo?: unknown }).userInfo;
  const record =
    typeof userInfo === "object" && userInfo !== null ? (userInfo as Record<string, unknown>) : {};
  const { username, groups } = record;
  return {
    username: typeof username === "string" ? username : "",
    groups: Array.isArray(groups) ? groups.filter((group): group is string => typeof group === "string") : [],
  };
}
