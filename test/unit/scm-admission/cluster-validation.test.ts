/**
 * decideClusterAdmission: SCM's webhook answers (golden files of lib/scm: the messages SCM v0.6.6's own
 * parse functions give, which its webhooks return unwrapped), a readable table of the same, what is not
 * validated, and requests that are not what they claim to be.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../lib/admission/review.js";
import { CLUSTER_TENANT_RULES_OFF } from "../../../lib/scm-admission/cluster-tenancy.js";
import {
  type ClusterValidationContext,
  decideClusterAdmission,
} from "../../../lib/scm-admission/cluster-validation.js";

const TD = "example.org";
const context: ClusterValidationContext = { trustDomain: TD, tenants: CLUSTER_TENANT_RULES_OFF };
const CSID = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterSPIFFEID" };
const CFTD = { group: "spire.spiffe.io", version: "v1alpha1", kind: "ClusterFederatedTrustDomain" };
type Kind = typeof CSID | typeof CFTD;

const NS_SA = "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
const FEDERATION = {
  trustDomain: "other.org",
  bundleEndpointURL: "https://other.org:8443",
  bundleEndpointProfile: { type: "https_spiffe", endpointSPIFFEID: "spiffe://other.org/spire/server" },
};

function resource(kind: Kind, spec: unknown, name = "r1") {
  return { apiVersion: "spire.spiffe.io/v1alpha1", kind: kind.kind, metadata: { name }, spec };
}

function request(
  operation: string,
  kind: Kind,
  spec: unknown,
  extra: Partial<AdmissionRequest> & Record<string, unknown> = {},
): AdmissionRequest {
  const object = resource(kind, spec);
  return {
    uid: "u1",
    kind,
    name: "r1",
    operation,
    ...(operation === "DELETE" ? { oldObject: object } : { object }),
    ...(operation === "UPDATE" ? { oldObject: object } : {}),
    ...extra,
  };
}

const decide = (operation: string, kind: Kind, spec: unknown, extra = {}) =>
  decideClusterAdmission(request(operation, kind, spec, extra), context);

interface GoldenCase {
  readonly spec: unknown;
  readonly decodeError?: string;
  readonly parseError?: string;
}
const golden = (name: string) =>
  JSON.parse(readFileSync(new URL(`../scm/golden/${name}`, import.meta.url), "utf8")) as (GoldenCase &
    Record<string, unknown>)[];

/** What SCM's webhook answers for a golden case: its decode or parse error, else admitted. */
function scmAnswer(test: GoldenCase) {
  const error = test.decodeError ?? test.parseError;
  return error === undefined
    ? { action: "allow", reason: expect.any(String) }
    : { action: "deny", message: error };
}

describe("SCM's answers, from its own code (lib/scm golden files)", () => {
  it.each(golden("cluster-spiffeids.json").map((test) => [JSON.stringify(test.spec).slice(0, 120), test]))(
    "ClusterSPIFFEID %s",
    (_name, test) => {
      for (const operation of ["CREATE", "UPDATE"]) {
        expect(decide(operation, CSID, test.spec)).toMatchObject(scmAnswer(test));
      }
    },
  );

  it.each(
    golden("federated-trust-domains.json").map((test) => [JSON.stringify(test.spec).slice(0, 120), test]),
  )("ClusterFederatedTrustDomain %s", (_name, test) => {
    for (const operation of ["CREATE", "UPDATE"]) {
      expect(decide(operation, CFTD, test.spec)).toMatchObject(scmAnswer(test));
    }
  });
});

describe("allowed and denied CRs, with SCM's messages", () => {
  it.each<[string, Kind, unknown, string | undefined]>([
    ["a ClusterSPIFFEID with SCM's usual template", CSID, { spiffeIDTemplate: NS_SA }, undefined],
    [
      "a ClusterSPIFFEID using every field",
      CSID,
      {
        spiffeIDTemplate: NS_SA,
        namespaceSelector: { matchLabels: { team: "a" } },
        podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["web"] }] },
        ttl: "1h",
        jwtTtl: "5m",
        federatesWith: ["other.org", "spiffe://third.org"],
        dnsNameTemplates: ["{{ .PodMeta.Name }}.{{ .PodMeta.Namespace }}.svc"],
        workloadSelectorTemplates: ["k8s:sa:{{ .PodSpec.ServiceAccountName }}"],
        admin: true,
        downstream: true,
        autoPopulateDNSNames: true,
        className: "a",
        fallback: true,
        hint: "web",
      },
      undefined,
    ],
    [
      "a ClusterSPIFFEID whose template renders another trust domain (SCM checks only that it parses)",
      CSID,
      { spiffeIDTemplate: "spiffe://other.org/x" },
      undefined,
    ],
    ["no spiffeIDTemplate", CSID, {}, "empty SPIFFEID template"],
    [
      "a spiffeIDTemplate that does not parse",
      CSID,
      { spiffeIDTemplate: "spiffe://{{ .TrustDomain }/x" },
      'invalid SPIFFEID template: template: spiffeIDTemplate:1: unexpected "}" in operand',
    ],
    [
      "an unknown label selector operator",
      CSID,
      {
        spiffeIDTemplate: NS_SA,
        podSelector: { matchExpressions: [{ key: "app", operator: "Within", values: ["a"] }] },
      },
      '"Within" is not a valid label selector operator',
    ],
    [
      "a federatesWith that is no trust domain",
      CSID,
      { spiffeIDTemplate: NS_SA, federatesWith: ["Other.org"] },
      "invalid federatesWith value: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    ],
    [
      "a dnsNameTemplate that does not parse",
      CSID,
      { spiffeIDTemplate: NS_SA, dnsNameTemplates: ["{{ if }}"] },
      "invalid dnsNameTemplate value: template: dnsNameTemplate:1: missing value for if",
    ],
    [
      "a workloadSelectorTemplate that does not parse",
      CSID,
      { spiffeIDTemplate: NS_SA, workloadSelectorTemplates: ["{{ end }}"] },
      "invalid workloadSelectorTemplates value: template: workloadSelectorTemplate:1: unexpected {{end}}",
    ],
    [
      "a TTL that is no Go duration (a decode error in SCM)",
      CSID,
      { spiffeIDTemplate: NS_SA, ttl: "1d" },
      'time: unknown unit "d" in duration "1d"',
    ],
    [
      "a field of the wrong JSON type (a decode error in SCM)",
      CSID,
      { spiffeIDTemplate: NS_SA, admin: "yes" },
      "json: cannot unmarshal string into Go struct field ClusterSPIFFEIDSpec.spec.admin of type bool",
    ],
    ["a valid ClusterFederatedTrustDomain", CFTD, FEDERATION, undefined],
    [
      "an https_web profile",
      CFTD,
      { ...FEDERATION, bundleEndpointProfile: { type: "https_web" } },
      undefined,
    ],
    [
      "a trustDomain that is not one",
      CFTD,
      { ...FEDERATION, trustDomain: "Other.org" },
      "invalid trustDomain value: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    ],
    [
      "a plain-HTTP bundle endpoint",
      CFTD,
      { ...FEDERATION, bundleEndpointURL: "http://other.org" },
      "invalid bundleEndpointURL value: scheme must be https",
    ],
    [
      "an endpointSPIFFEID with https_web",
      CFTD,
      {
        ...FEDERATION,
        bundleEndpointProfile: { type: "https_web", endpointSPIFFEID: "spiffe://other.org/x" },
      },
      'invalid bundle endpoint profile endpointSPIFFEID value: not applicable to the "https_web" profile',
    ],
    [
      "https_spiffe without an endpointSPIFFEID",
      CFTD,
      { ...FEDERATION, bundleEndpointProfile: { type: "https_spiffe" } },
      "invalid bundle endpoint profile endpointSPIFFEID value: cannot be empty",
    ],
    [
      "an unknown profile type",
      CFTD,
      { ...FEDERATION, bundleEndpointProfile: { type: "HTTPS_WEB" } },
      'invalid bundle endpoint profile type value "HTTPS_WEB"',
    ],
    [
      "an empty key set (go-spiffe accepts it)",
      CFTD,
      { ...FEDERATION, trustDomainBundle: '{"keys":[]}' },
      undefined,
    ],
    [
      "a bundle without a key set",
      CFTD,
      { ...FEDERATION, trustDomainBundle: "{}" },
      "invalid trustDomainBundle value: spiffebundle: no authorities found",
    ],
  ])("%s", (_name, kind, spec, message) => {
    for (const operation of ["CREATE", "UPDATE"]) {
      const decision = decide(operation, kind, spec);
      if (message === undefined) expect(decision).toMatchObject({ action: "allow" });
      else expect(decision).toEqual({ action: "deny", message });
    }
  });

  it("admits an UPDATE of a ClusterFederatedTrustDomain that changes its trust domain, as SCM does", () => {
    const old = resource(CFTD, FEDERATION);
    const changed = { ...FEDERATION, trustDomain: "third.org" };
    expect(decide("UPDATE", CFTD, changed, { oldObject: old })).toEqual({
      action: "allow",
      reason: "valid ClusterFederatedTrustDomain",
    });
  });

  it("judges an UPDATE on the new object, even when the stored one no longer decodes", () => {
    const old = resource(CSID, { spiffeIDTemplate: NS_SA, ttl: "1d" });
    expect(decide("UPDATE", CSID, { spiffeIDTemplate: NS_SA, ttl: "24h" }, { oldObject: old })).toMatchObject(
      {
        action: "allow",
      },
    );
  });

  it("admits a bundle SPIRE cannot take, as SCM does, with a warning", () => {
    const bundle = JSON.stringify({ keys: [{ kty: "oct", k: "c2VjcmV0", use: "jwt-svid", kid: "k" }] });
    expect(decide("CREATE", CFTD, { ...FEDERATION, trustDomainBundle: bundle })).toEqual({
      action: "allow",
      reason: "valid ClusterFederatedTrustDomain",
      warnings: [
        "spec.trustDomainBundle cannot be sent to SPIRE (failed to marshal public key: x509: unsupported public key type: []uint8): the federation relationship will not be created or updated until the bundle holds only public keys",
      ],
    });
  });
});

describe("what is not validated", () => {
  it.each(["DELETE", "CONNECT", "PATCH"])("allows %s", (operation) => {
    expect(decide(operation, CSID, {})).toEqual({
      action: "allow",
      reason: `operation ${operation} is not validated`,
    });
  });

  it.each([
    ["ClusterStaticEntry (SCM has no webhook for it)", { ...CSID, kind: "ClusterStaticEntry" }],
    ["a Pod", { group: "", version: "v1", kind: "Pod" }],
    ["another version", { ...CSID, version: "v1alpha2" }],
    ["no kind at all", undefined],
  ])("allows %s", (_name, kind) => {
    const review = { ...request("CREATE", CSID, {}), kind } as AdmissionRequest;
    expect(decideClusterAdmission(review, context)).toEqual({
      action: "allow",
      reason: "admission request received for unhandled object; check the webhook rules",
    });
  });
});

describe("requests that are not what they claim", () => {
  const valid = { spiffeIDTemplate: NS_SA };

  it.each<[string, Partial<AdmissionRequest>, string]>([
    [
      "no object on CREATE",
      { object: undefined },
      "request.object is missing: the API server sends the ClusterSPIFFEID with every CREATE and UPDATE",
    ],
    ["an object that is a list", { object: [] }, "request.object must be a JSON object"],
    [
      "an object of another kind",
      { object: { apiVersion: "v1", kind: "Pod", spec: valid } },
      'request.object has apiVersion "v1" and kind "Pod", but the request is about a spire.spiffe.io/v1alpha1 ClusterSPIFFEID',
    ],
    [
      "an object of the other SCM kind",
      { object: resource(CFTD, FEDERATION) },
      'request.object has apiVersion "spire.spiffe.io/v1alpha1" and kind "ClusterFederatedTrustDomain", but the request is about a spire.spiffe.io/v1alpha1 ClusterSPIFFEID',
    ],
    [
      "an object of another version",
      { object: { apiVersion: "spire.spiffe.io/v1", kind: "ClusterSPIFFEID", spec: valid } },
      'request.object has apiVersion "spire.spiffe.io/v1" and kind "ClusterSPIFFEID", but the request is about a spire.spiffe.io/v1alpha1 ClusterSPIFFEID',
    ],
  ])("denies %s", (_name, change, message) => {
    expect(decideClusterAdmission({ ...request("CREATE", CSID, valid), ...change }, context)).toEqual({
      action: "deny",
      message,
    });
  });

  it("denies an UPDATE without the old object, or with one of another kind", () => {
    expect(decide("UPDATE", CSID, valid, { oldObject: undefined })).toEqual({
      action: "deny",
      message:
        "request.oldObject is missing: the API server sends the ClusterSPIFFEID with every CREATE and UPDATE",
    });
    expect(decide("UPDATE", CSID, valid, { oldObject: { kind: "Pod" } })).toMatchObject({
      action: "deny",
      message: expect.stringContaining('request.oldObject has apiVersion "" and kind "Pod"'),
    });
  });

  it("reads an object without apiVersion and kind as the request's, as Go's decoder does", () => {
    expect(decide("CREATE", CSID, valid, { object: { spec: valid } })).toMatchObject({ action: "allow" });
    expect(decide("CREATE", CSID, valid, { object: { spec: { spiffeIDTemplate: "" } } })).toEqual({
      action: "deny",
      message: "empty SPIFFEID template",
    });
  });

  it("decodes a spec that is not an object as SCM does", () => {
    expect(decide("CREATE", CSID, "x")).toEqual({
      action: "deny",
      message:
        "json: cannot unmarshal string into Go struct field ClusterSPIFFEID.spec of type v1alpha1.ClusterSPIFFEIDSpec",
    });
  });
});
