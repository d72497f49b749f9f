/** The tenant rules of cluster-spiffeid-validation, through decideClusterAdmission. */
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../lib/admission/review.js";
import type { ClusterTenantRules } from "../../../lib/scm-admission/cluster-tenancy.js";
import { decideClusterAdmission } from "../../../lib/scm-admission/cluster-validation.js";

const TD = "example.org";
const RULES: ClusterTenantRules = {
  enabled: true,
  adminGroups: ["spire-admins"],
  downstreamGroups: ["spire-ca-operators"],
};
const CSID = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterSPIFFEID" };
const CFTD = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterFederatedTrustDomain" };
const NS_SA = "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
const TENANT = { username: "alice", groups: ["tenants", "system:authenticated"] };

function request(
  kind: typeof CSID,
  spec: Record<string, unknown>,
  userInfo: unknown = TENANT,
  operation = "CREATE",
): AdmissionRequest & { userInfo?: unknown } {
  const object = { apiVersion: "spire.spiffe.io/v1alpha1", kind: kind.kind, metadata: { name: "r" }, spec };
  return {
    uid: "u1",
    kind,
    name: "r",
    operation,
    object,
    ...(operation === "UPDATE" ? { oldObject: object } : {}),
    userInfo,
  };
}

const decide = (spec: Record<string, unknown>, userInfo: unknown = TENANT, rules = RULES) =>
  decideClusterAdmission(request(CSID, spec, userInfo), { trustDomain: TD, tenants: rules });

const OTHER_TD = `spec.spiffeIDTemplate names trust domain "other.org", not this cluster's "${TD}": no pod would get an entry from it`;
const ADMIN_DENIED =
  'spec.admin: true is only allowed to members of the groups of cluster_spiffeid_admin_groups, and user "alice" is in none of them';
const DOWNSTREAM_DENIED =
  'spec.downstream: true is only allowed to members of the groups of cluster_spiffeid_downstream_groups, and user "alice" is in none of them';

describe("ClusterSPIFFEID tenant rules", () => {
  it.each<[string, Record<string, unknown>, string | undefined]>([
    ["a template of the usual form", { spiffeIDTemplate: NS_SA }, undefined],
    ["a literal ID in the trust domain", { spiffeIDTemplate: `spiffe://${TD}/db` }, undefined],
    ["a literal ID in another trust domain", { spiffeIDTemplate: "spiffe://other.org/db" }, OTHER_TD],
    [
      "another trust domain written before the first action",
      { spiffeIDTemplate: "spiffe://other.org/ns/{{ .PodMeta.Namespace }}" },
      OTHER_TD,
    ],
    [
      "a trust domain that only starts with ours",
      { spiffeIDTemplate: `spiffe://${TD}.evil/{{ .PodMeta.Name }}` },
      `spec.spiffeIDTemplate names trust domain "${TD}.evil", not this cluster's "${TD}": no pod would get an entry from it`,
    ],
    [
      "a trust domain completed by an action (not checked: it depends on the pod)",
      { spiffeIDTemplate: "spiffe://other{{ .PodMeta.Namespace }}/x" },
      undefined,
    ],
    [
      "a literal that is no SPIFFE ID",
      { spiffeIDTemplate: "ns/web/sa/web" },
      'spec.spiffeIDTemplate "ns/web/sa/web" has no template action and is not a valid SPIFFE ID: scheme is missing or invalid',
    ],
    [
      "federatesWith naming the own trust domain",
      { spiffeIDTemplate: NS_SA, federatesWith: ["other.org", `spiffe://${TD}`] },
      `spec.federatesWith names this cluster's own trust domain "${TD}": an entry federates only with other trust domains`,
    ],
    ["federatesWith naming others", { spiffeIDTemplate: NS_SA, federatesWith: ["other.org"] }, undefined],
    ["admin from a user outside the admin groups", { spiffeIDTemplate: NS_SA, admin: true }, ADMIN_DENIED],
    [
      "downstream from a user outside the downstream groups",
      { spiffeIDTemplate: NS_SA, downstream: true },
      DOWNSTREAM_DENIED,
    ],
    ["admin: false", { spiffeIDTemplate: NS_SA, admin: false, downstream: false }, undefined],
  ])("%s", (_name, spec, message) => {
    const decision = decide(spec);
    if (message === undefined) expect(decision).toMatchObject({ action: "allow" });
    else expect(decision).toEqual({ action: "deny", message });
  });

  it("runs after SCM's checks, so SCM's message wins", () => {
    expect(decide({ spiffeIDTemplate: "spiffe://other.org/{{ .X", admin: true })).toEqual({
      action: "deny",
      message: "invalid SPIFFEID template: template: spiffeIDTemplate:1: unclosed action",
    });
  });

  it("allows admin and downstream to members of the configured groups", () => {
    const admin = { username: "bob", groups: ["system:authenticated", "spire-admins"] };
    expect(decide({ spiffeIDTemplate: NS_SA, admin: true }, admin)).toMatchObject({ action: "allow" });
    expect(decide({ spiffeIDTemplate: NS_SA, downstream: true }, admin)).toEqual({
      action: "deny",
      message: DOWNSTREAM_DENIED.replace('"alice"', '"bob"'),
    });
    const ca = { username: "carol", groups: ["spire-ca-operators"] };
    expect(decide({ spiffeIDTemplate: NS_SA, downstream: true }, ca)).toMatchObject({ action: "allow" });
  });

  it("checks UPDATE as CREATE: nobody outside the groups edits an admin ClusterSPIFFEID", () => {
    const update = request(CSID, { spiffeIDTemplate: NS_SA, admin: true }, TENANT, "UPDATE");
    expect(decideClusterAdmission(update, { trustDomain: TD, tenants: RULES })).toEqual({
      action: "deny",
      message: ADMIN_DENIED,
    });
  });

  it("counts a missing or malformed userInfo as a user in no group", () => {
    const { userInfo: _, ...withoutUser } = request(CSID, { spiffeIDTemplate: NS_SA, admin: true });
    expect(decideClusterAdmission(withoutUser, { trustDomain: TD, tenants: RULES })).toEqual({
      action: "deny",
      message: ADMIN_DENIED.replace('"alice"', '""'),
    });
    for (const userInfo of [null, "alice", { username: 7, groups: "spire-admins" }]) {
      expect(decide({ spiffeIDTemplate: NS_SA, admin: true }, userInfo)).toEqual({
        action: "deny",
        message: ADMIN_DENIED.replace('"alice"', '""'),
      });
    }
  });

  it("are off by default: SCM's answers only", () => {
    const off = { enabled: false, adminGroups: [], downstreamGroups: [] };
    for (const spec of [
      { spiffeIDTemplate: "spiffe://other.org/db", admin: true, downstream: true },
      { spiffeIDTemplate: "not an ID", federatesWith: [TD] },
    ]) {
      expect(decide(spec, TENANT, off)).toMatchObject({ action: "allow" });
    }
  });
});

describe("ClusterFederatedTrustDomain tenant rules", () => {
  const federation = (trustDomain: string) => ({
    trustDomain,
    bundleEndpointURL: `https://${trustDomain}:8443`,
    bundleEndpointProfile: { type: "https_web" },
  });
  const decideFederation = (trustDomain: string, rules = RULES) =>
    decideClusterAdmission(request(CFTD as typeof CSID, federation(trustDomain)), {
      trustDomain: TD,
      tenants: rules,
    });

  it("deny a relationship with the own trust domain, and allow others", () => {
    expect(decideFederation(TD)).toEqual({
      action: "deny",
      message: `spec.trustDomain is this cluster's own trust domain "${TD}": SPIRE federates only with other trust domains`,
    });
    expect(decideFederation("other.org")).toMatchObject({ action: "allow" });
    expect(decideFederation(TD, { ...RULES, enabled: false })).toMatchObject({ action: "allow" });
  });
});
