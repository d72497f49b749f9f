/**
 * This project's rules for the cluster-scoped identity CRs of cluster-spiffeid mode, on top of SCM's
 * webhook checks (DESIGN §2.9). SCM lets anyone allowed to write a ClusterSPIFFEID declare any identity,
 * with any rights, for any pod; these rules are for clusters where more people than the SPIRE admins may
 * write them. They are off by default, and the webhook then answers exactly as SCM's. When on:
 * 1. a ClusterSPIFFEID whose `spiffeIDTemplate` writes its trust domain out (`spiffe://<td>/` before any
 *    template action) must name the configured trust domain, and one without any action must be a valid
 *    SPIFFE ID: otherwise no pod ever gets an entry from it (SCM only counts render failures);
 * 2. its `federatesWith` must not name the configured trust domain (an entry federates with others);
 * 3. `admin: true` only from users in a group of `cluster_spiffeid_admin_groups`, `downstream: true` (a
 *    CA entry) only from users in one of `cluster_spiffeid_downstream_groups`, on UPDATE as on CREATE, so
 *    nobody else can point an existing admin ClusterSPIFFEID at their own pods by editing its selectors.
 *    ClusterSPIFFEIDs are cluster-scoped, so the requesting user's groups (the AdmissionRequest's
 *    `userInfo`) stand where crd mode's namespaces do;
 * 4. a ClusterFederatedTrustDomain must not name the configured trust domain (SPIRE refuses a federation
 *    relationship with its own trust domain, and the federation pass would fail on it every time).
 * Pure; the webhook denies with the returned message.
 */
import type { ClusterSpiffeIdSpec, FederationRelationship } from "../scm/index.js";
import { parseSpiffeId } from "../spiffe/id.js";

export interface ClusterTenantRules {
  /** `cluster_spiffeid_tenant_rules`: off, only SCM's checks run. */
  readonly enabled: boolean;
  /** `cluster_spiffeid_admin_groups`: groups whose members may write `admin: true`. */
  readonly adminGroups: readonly string[];
  /** `cluster_spiffeid_downstream_groups`: groups whose members may write `downstream: true`. */
  readonly downstreamGroups: readonly string[];
}

/** The rules when nothing is configured: off. */
export const CLUSTER_TENANT_RULES_OFF: ClusterTenantRules = {
  enabled: false,
  adminGroups: [],
  downstreamGroups: [],
};

/** Who asks, from the AdmissionRequest's `userInfo`. */
export interface Requester {
  readonly username: string;
  readonly groups: readonly string[];
}

/** Why a ClusterSPIFFEID (its spec parsed, `templateText` its `spiffeIDTemplate`) is refused, or undefined. */
export function clusterSpiffeIdTenantError(
  spec: ClusterSpiffeIdSpec,
  templateText: string,
  requester: Requester,
  trustDomain: string,
  rules: ClusterTenantRules,
): string | undefined {
  if (!rules.enabled) return undefined;
  return (
    templateTrustDomainError(templateText, trustDomain) ??
    (spec.federatesWith.includes(trustDomain)
      ? `spec.federatesWith names this cluster's own trust domain ${JSON.stringify(trustDomain)}: an entry federates only with other trust domains`
      : undefined) ??
    rightError("admin", spec.admin, rules.adminGroups, "cluster_spiffeid_admin_groups", requester) ??
    rightError(
      "downstream",
      spec.downstream,
      rules.downstreamGroups,
      "cluster_spiffeid_downstream_groups",
      requester,
    )
  );
}

/** Why a ClusterFederatedTrustDomain (its spec parsed) is refused, or undefined. */
export function federatedTrustDomainTenantError(
  relationship: FederationRelationship,
  trustDomain: string,
  rules: ClusterTenantRules,
): string | undefined {
  if (!rules.enabled || relationship.trustDomain !== trustDomain) return undefined;
  return `spec.trustDomain is this cluster's own trust domain ${JSON.stringify(trustDomain)}: SPIRE federates only with other trust domains`;
}

/** `spiffe://<td>/` at the start of a template's text, before its first action. */
const WRITTEN_TRUST_DOMAIN = /^spiffe:\/\/([^/]*)\//;

/**
 * Rule 1. Go's template lexer starts an action (or a comment) only at `{{`, so the text before the first
 * `{{` is printed as it is: a trust domain written there is the rendered ID's.
 */
function templateTrustDomainError(text: string, trustDomain: string): string | undefined {
  const firstAction = text.indexOf("{{");
  if (firstAction === -1) {
    const id = parseSpiffeId(text);
    if (!id.ok) {
      return `spec.spiffeIDTemplate ${JSON.stringify(text)} has no template action and is not a valid SPIFFE ID: ${id.error}`;
    }
    return id.value.trustDomain === trustDomain
      ? undefined
      : otherTrustDomain(id.value.trustDomain, trustDomain);
  }
  const written = WRITTEN_TRUST_DOMAIN.exec(text.slice(0, firstAction))?.[1];
  return written === undefined || written === trustDomain
    ? undefined
    : otherTrustDomain(written, trustDomain);
}

function otherTrustDomain(written: string, trustDomain: string): string {
  return `spec.spiffeIDTemplate names trust domain ${JSON.stringify(written)}, not this cluster's ${JSON.stringify(trustDomain)}: no pod would get an entry from it`;
}

/** Rule 3, for one right. */
function rightError(
  field: "admin" | "downstream",
  requested: boolean,
  allowedGroups: readonly string[],
  key: string,
  requester: Requester,
): string | undefined {
  if (!requested || requester.groups.some((group) => allowedGroups.includes(group))) return undefined;
  return `spec.${field}: true is only allowed to members of the groups of ${key}, and user ${JSON.stringify(requester.username)} is in none of them`;
}
