import { describe, expect, it } from "vitest";
import type { AdmissionRequest } from "../../../lib/admission/review.js";
import { defaultTenantRules } from "../../../lib/admission/spiffeid-tenancy.js";
import {
  DUPLICATE_DETECTED,
  decideSpiffeIdAdmission,
  duplicateMessage,
  type SpiffeIdValidationContext,
} from "../../../lib/admission/spiffeid-validation.js";
import type { Entry } from "../../../lib/planner/entry.js";

const TD = "example.org";
const context: SpiffeIdValidationContext = {
  trustDomain: TD,
  registrarNamespace: "spire",
  tenants: defaultTenantRules("c1"),
};
const spiffeIdKind = { group: "spiffeid.spiffe.io", version: "v1beta1", kind: "SpiffeID" };

const PARENT = `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`;
const WORKLOAD = `spiffe://${TD}/ns/web/sa/web`;

interface ResourceOptions {
  namespace?: string;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
}

function resource(options: ResourceOptions = {}) {
  return {
    apiVersion: "spiffeid.spiffe.io/v1beta1",
    kind: "SpiffeID",
    metadata: { name: "web", namespace: options.namespace ?? "web" },
    spec: {
      parentId: PARENT,
      spiffeId: WORKLOAD,
      selector: { namespace: "web", serviceAccount: "web" },
      dnsNames: ["web", "web.web.svc"],
      ...options.spec,
    },
    ...(options.status ? { status: options.status } : {}),
  };
}

function request(
  operation: string,
  object: unknown,
  extra: Partial<AdmissionRequest> = {},
): AdmissionRequest {
  return {
    uid: "u1",
    kind: spiffeIdKind,
    namespace: "web",
    name: "web",
    operation,
    ...(operation === "DELETE" ? { oldObject: object } : { object }),
    ...extra,
  };
}

const decide = (operation: string, object: unknown, extra: Partial<AdmissionRequest> = {}) =>
  decideSpiffeIdAdmission(request(operation, object, extra), context);

describe("decideSpiffeIdAdmission: spec checks (CREATE and UPDATE)", () => {
  it.each<[string, ResourceOptions, string]>([
    [
      "a parent in another trust domain",
      { spec: { parentId: "spiffe://other.org/spire/server" } },
      `spec.parentId must begin with spiffe://${TD}`,
    ],
    [
      "a parent whose trust domain only starts with ours (string-prefix bug)",
      { spec: { parentId: `spiffe://${TD}.evil/spire/server` } },
      `spec.parentId must begin with spiffe://${TD}`,
    ],
    [
      "a SPIFFE ID in another trust domain",
      { spec: { spiffeId: "spiffe://other.org/web" } },
      `spec.spiffeId must begin with spiffe://${TD}`,
    ],
    [
      "a SPIFFE ID whose trust domain only starts with ours (string-prefix bug)",
      { spec: { spiffeId: `spiffe://${TD}.evil/web` } },
      `spec.spiffeId must begin with spiffe://${TD}`,
    ],
    [
      "a malformed parent",
      { spec: { parentId: `spiffe://${TD}/a//b` } },
      `spec.parentId "spiffe://${TD}/a//b" is not a valid SPIFFE ID: path cannot contain empty segments`,
    ],
    [
      "a parent that is not a SPIFFE ID at all",
      { spec: { parentId: "https://example.org/x" } },
      `spec.parentId "https://example.org/x" is not a valid SPIFFE ID: scheme is missing or invalid`,
    ],
    [
      "a malformed SPIFFE ID (trailing slash)",
      { spec: { spiffeId: `spiffe://${TD}/web/` } },
      `spec.spiffeId "spiffe://${TD}/web/" is not a valid SPIFFE ID: path cannot have a trailing slash`,
    ],
    [
      "an empty SPIFFE ID",
      { spec: { spiffeId: "" } },
      `spec.spiffeId "" is not a valid SPIFFE ID: cannot be empty`,
    ],
    [
      "a bare trust domain as SPIFFE ID",
      { spec: { spiffeId: `spiffe://${TD}` } },
      `spec.spiffeId must have a path: SPIRE does not accept the bare trust domain spiffe://${TD}`,
    ],
    [
      "a SPIFFE ID under the reserved /spire path",
      { spec: { spiffeId: `spiffe://${TD}/spire/agent/x` } },
      `spec.spiffeId must not be under spiffe://${TD}/spire: SPIRE reserves that path for its agents and servers`,
    ],
    [
      "a cluster selector outside the registrar's namespace",
      { spec: { selector: { namespace: "web", cluster: "c1" } } },
      "spec.Selector.Cluster and spec.Selector.AgentNodeUid can only be used by the k8s-workload-registrar",
    ],
    [
      "an agent_node_uid selector outside the registrar's namespace",
      { spec: { selector: { namespace: "web", agent_node_uid: "uid-1" } } },
      "spec.Selector.Cluster and spec.Selector.AgentNodeUid can only be used by the k8s-workload-registrar",
    ],
    [
      "a namespace selector for another namespace",
      { spec: { selector: { namespace: "other" } } },
      "spec.Selector.Namespace must match namespace of resource",
    ],
    [
      "no namespace selector",
      { spec: { selector: { serviceAccount: "web" } } },
      "spec.Selector.Namespace must match namespace of resource",
    ],
    [
      "an empty DNS name",
      { spec: { dnsNames: ["web", "  "] } },
      'invalid DNS name "  ": empty or only whitespace',
    ],
    [
      "a DNS name with an empty label",
      { spec: { dnsNames: ["web..svc"] } },
      'invalid DNS name "web..svc": label is empty',
    ],
    [
      "a DNS name with a label starting with a hyphen",
      { spec: { dnsNames: ["-web.svc"] } },
      'invalid DNS name "-web.svc": label starts or ends with a hyphen: -web',
    ],
    [
      "a DNS name with a trailing dot",
      { spec: { dnsNames: ["web.svc."] } },
      'invalid DNS name "web.svc.": domain ends with dot',
    ],
    [
      "a DNS name with a label over 63 characters",
      { spec: { dnsNames: [`${"a".repeat(64)}.svc`] } },
      `invalid DNS name "${"a".repeat(64)}.svc": label is longer than 63 characters: ${"a".repeat(64)}`,
    ],
    ["no parent", { spec: { parentId: undefined } }, "spec.parentId is required and must be a string"],
    [
      "a SPIFFE ID that is not a string",
      { spec: { spiffeId: 42 } },
      "spec.spiffeId is required and must be a string",
    ],
    ["no selector", { spec: { selector: undefined } }, "spec.selector is required and must be an object"],
  ])("CREATE denies %s", (_name, options, message) => {
    expect(decide("CREATE", resource(options))).toEqual({ action: "deny", message });
    expect(decide("UPDATE", resource(options))).toEqual({ action: "deny", message });
  });

  it("denies an object that has no spec at all", () => {
    expect(decide("CREATE", { metadata: { name: "x", namespace: "web" } })).toEqual({
      action: "deny",
      message: "spec is required",
    });
  });

  it("checks in the Go registrar's order: parent, SPIFFE ID, namespace, DNS names", () => {
    const allWrong = {
      parentId: "spiffe://other.org/p",
      spiffeId: "spiffe://other.org/w",
      selector: { namespace: "other" },
      dnsNames: [""],
    };
    const denial = (spec: Record<string, unknown>) => decide("CREATE", resource({ spec }));
    expect(denial(allWrong)).toMatchObject({ message: `spec.parentId must begin with spiffe://${TD}` });
    expect(denial({ ...allWrong, parentId: PARENT })).toMatchObject({
      message: `spec.spiffeId must begin with spiffe://${TD}`,
    });
    expect(denial({ ...allWrong, parentId: PARENT, spiffeId: WORKLOAD })).toMatchObject({
      message: "spec.Selector.Namespace must match namespace of resource",
    });
    expect(
      denial({ ...allWrong, parentId: PARENT, spiffeId: WORKLOAD, selector: { namespace: "web" } }),
    ).toMatchObject({ message: 'invalid DNS name "": empty or only whitespace' });
  });

  it("accepts names the current SPIRE accepts but v0.11's regex refused (one-letter labels, _)", () => {
    const decision = decide(
      "UPDATE",
      resource({ spec: { dnsNames: ["a.b", "my_svc.web.svc", "*.web.svc"] } }),
    );
    expect(decision).toEqual({ action: "allow", reason: "valid SpiffeID" });
  });

  it("lets the registrar's own namespace use node selectors with a /spire/server parent", () => {
    const node = resource({
      namespace: "spire",
      spec: {
        parentId: `spiffe://${TD}/spire/server`,
        spiffeId: `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
        selector: { cluster: "c1", agent_node_uid: "uid-1" },
        dnsNames: undefined,
      },
    });
    expect(decide("UPDATE", node, { namespace: "spire" })).toEqual({
      action: "allow",
      reason: "valid SpiffeID",
    });
  });

  it("takes the namespace from the request when the object has none", () => {
    const object = resource();
    const withoutNamespace = { ...object, metadata: { name: "web" } };
    expect(decide("UPDATE", withoutNamespace, { namespace: "web" })).toMatchObject({ action: "allow" });
    expect(decide("UPDATE", withoutNamespace, { namespace: "other" })).toEqual({
      action: "deny",
      message: "spec.Selector.Namespace must match namespace of resource",
    });
  });
});

describe("decideSpiffeIdAdmission: operations", () => {
  it("asks for a duplicate check on CREATE with the exact selectors, SPIFFE ID and parent", () => {
    const decision = decide("CREATE", resource({ status: { entryId: "e-own" } }));
    expect(decision).toEqual({
      action: "check-duplicates",
      duplicateCheck: {
        spiffeId: WORKLOAD,
        parentId: PARENT,
        selectors: [
          { type: "k8s", value: "ns:web" },
          { type: "k8s", value: "sa:web" },
        ],
        ownEntryId: "e-own",
      },
    });
  });

  it("runs only the spec checks on UPDATE", () => {
    expect(decide("UPDATE", resource())).toEqual({ action: "allow", reason: "valid SpiffeID" });
  });

  it("always allows DELETE, even of an invalid resource", () => {
    const invalid = resource({ spec: { spiffeId: "spiffe://other.org/x" } });
    expect(decide("DELETE", invalid)).toMatchObject({ action: "allow" });
  });

  it("allows objects that are not SpiffeIDs (a misconfigured webhook must not block them)", () => {
    const decision = decide("CREATE", { spec: {} }, { kind: { group: "", version: "v1", kind: "Pod" } });
    expect(decision).toMatchObject({ action: "allow" });
  });
});

describe("duplicateMessage", () => {
  const check = { spiffeId: WORKLOAD, parentId: PARENT, selectors: [{ type: "k8s", value: "ns:web" }] };
  const entry = (id: string, overrides: Partial<Entry> = {}): Entry => ({
    id,
    spiffeId: WORKLOAD,
    parentId: PARENT,
    selectors: [{ type: "k8s", value: "ns:web" }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...overrides,
  });

  it("denies when SPIRE has an entry with the same SPIFFE ID and parent", () => {
    expect(duplicateMessage(check, [entry("e1")])).toBe(DUPLICATE_DETECTED);
    expect(DUPLICATE_DETECTED).toBe("Duplicate detected");
  });

  it("allows an entry that differs only by parent (Go ignored the parent)", () => {
    expect(
      duplicateMessage(check, [entry("e1", { parentId: `spiffe://${TD}/other-parent` })]),
    ).toBeUndefined();
  });

  it("allows entries with another SPIFFE ID", () => {
    expect(duplicateMessage(check, [entry("e1", { spiffeId: `spiffe://${TD}/other` })])).toBeUndefined();
  });

  it("allows the entry the resource already owns, but not another one next to it", () => {
    const owning = { ...check, ownEntryId: "e-own" };
    expect(duplicateMessage(owning, [entry("e-own")])).toBeUndefined();
    expect(duplicateMessage(owning, [entry("e-own"), entry("e2")])).toBe(DUPLICATE_DETECTED);
  });

  it("allows when SPIRE has nothing with these selectors", () => {
    expect(duplicateMessage(check, [])).toBeUndefined();
  });
});

describe("decideSpiffeIdAdmission: tenant rules (hardening defects 7, 8 and 9)", () => {
  const deny = (options: ResourceOptions) => decide("CREATE", resource(options));

  it("denies spec.downstream outside downstream_namespaces (defect 7)", () => {
    expect(deny({ spec: { downstream: true } })).toEqual({
      action: "deny",
      message: 'spec.downstream is only allowed in the namespaces of downstream_namespaces, not in "web"',
    });
  });

  it("denies spec.admin outside admin_namespaces, and a non-boolean right", () => {
    expect(deny({ spec: { admin: true } })).toMatchObject({ action: "deny", message: /admin_namespaces/ });
    expect(deny({ spec: { downstream: "true" } })).toEqual({
      action: "deny",
      message: "spec.downstream must be a boolean",
    });
  });

  it("allows downstream and admin in the namespaces configured for them", () => {
    const tenants = { ...defaultTenantRules("c1"), downstreamNamespaces: ["web"], adminNamespaces: ["web"] };
    const decision = decideSpiffeIdAdmission(
      request("CREATE", resource({ spec: { downstream: true, admin: true } })),
      {
        ...context,
        tenants,
      },
    );
    expect(decision.action).toBe("check-duplicates");
  });

  it.each([
    [
      "another namespace's service account",
      `spiffe://${TD}/ns/kube-system/sa/admin`,
      /claims namespace "kube-system"/,
    ],
    ["the cluster node alias", `spiffe://${TD}/k8s-workload-registrar/c1/node`, /reserved for the registrar/],
    ["a crd-mode node ID", `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`, /reserved for the registrar/],
    [
      "a reconcile-mode node ID",
      `spiffe://${TD}/spire-k8s-registrar/c1/node/n1`,
      /reserved for the registrar/,
    ],
    ["the agent path", `spiffe://${TD}/spire/agent/k8s_psat/c1/n1`, /reserves that path/],
  ])("denies a SpiffeID of namespace web claiming %s (defect 8)", (_name, spiffeId, message) => {
    expect(deny({ spec: { spiffeId } })).toMatchObject({ action: "deny", message });
  });

  it("allows the SpiffeID's own namespace, IDs of other clusters' shape, and node IDs in the registrar's namespace", () => {
    expect(deny({ spec: { spiffeId: `spiffe://${TD}/ns/web/sa/api` } }).action).toBe("check-duplicates");
    expect(deny({ spec: { spiffeId: `spiffe://${TD}/k8s-workload-registrar/c2/node` } }).action).toBe(
      "check-duplicates",
    );
    const node = resource({
      namespace: "spire",
      spec: {
        spiffeId: `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
        selector: { cluster: "c1", agent_node_uid: "u" },
      },
    });
    expect(decide("CREATE", node, { namespace: "spire" }).action).toBe("check-duplicates");
  });

  it("allows another namespace's ID with allow_cross_namespace_ids", () => {
    const decision = decideSpiffeIdAdmission(
      request("CREATE", resource({ spec: { spiffeId: `spiffe://${TD}/ns/kube-system/sa/admin` } })),
      { ...context, tenants: { ...defaultTenantRules("c1"), allowCrossNamespaceIds: true } },
    );
    expect(decision.action).toBe("check-duplicates");
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      "a pod name with a line break",
      { namespace: "web", podName: "p\nk8s:ns:kube-system" },
      /podName must not contain control/,
    ],
    [
      "an arbitrary selector with a line break",
      { namespace: "web", arbitrary: ["a\nb"] },
      /arbitrary must not contain control/,
    ],
    [
      "a pod label value with a tab",
      { namespace: "web", podLabel: { app: "a\tb" } },
      /podLabel.app must not contain control/,
    ],
    [
      "a pod label key with a NUL",
      { namespace: "web", podLabel: { "a\u0000": "b" } },
      /podLabel key must not contain control/,
    ],
    ["a non-string selector", { namespace: "web", podName: 5 }, /podName must be a string/],
    [
      "arbitrary that is not a list",
      { namespace: "web", arbitrary: "a" },
      /arbitrary must be a list of strings/,
    ],
  ])("denies %s (defect 9)", (_name, selector, message) => {
    expect(deny({ spec: { selector } })).toMatchObject({ action: "deny", message });
  });

  it("reads a null selector field as absent, as Go decoded it (found by the fuzz suite)", () => {
    expect(deny({ spec: { selector: { namespace: "web", podName: null, arbitrary: null } } }).action).toBe(
      "check-duplicates",
    );
  });

  it("denies a DNS name with a control character", () => {
    expect(deny({ spec: { dnsNames: ["web\tx"] } })).toMatchObject({
      action: "deny",
      message: /dnsNames must not contain control characters/,
    });
  });
});
