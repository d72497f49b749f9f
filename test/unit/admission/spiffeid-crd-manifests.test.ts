import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [key: string]: unknown;
}

function load(file: string): Doc[] {
  const text = readFileSync(new URL(`../../../knative/base/crd/${file}`, import.meta.url), "utf8");
  return parseAllDocuments(text).map((document) => {
    expect(document.errors).toEqual([]);
    return document.toJS() as Doc;
  });
}

interface Schema {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  additionalProperties?: Schema;
}

describe("knative/base/crd/spiffeid-crd.yaml", () => {
  const [crd, ...rest] = load("spiffeid-crd.yaml");
  const spec = crd?.spec as {
    group: string;
    scope: string;
    names: Record<string, string>;
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources: unknown;
      additionalPrinterColumns: { name: string; type: string; jsonPath: string }[];
      schema: { openAPIV3Schema: Schema };
    }[];
  };
  const version = spec.versions[0];
  const root = version?.schema.openAPIV3Schema;
  const specSchema = root?.properties?.spec;
  const selector = specSchema?.properties?.selector;

  it("defines spiffeids.spiffeid.spiffe.io v1beta1, namespaced, with a status subresource", () => {
    expect(rest).toEqual([]);
    expect(crd).toMatchObject({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "spiffeids.spiffeid.spiffe.io" },
    });
    expect(spec.group).toBe("spiffeid.spiffe.io");
    expect(spec.scope).toBe("Namespaced");
    expect(spec.names).toEqual({
      kind: "SpiffeID",
      listKind: "SpiffeIDList",
      plural: "spiffeids",
      singular: "spiffeid",
    });
    expect(spec.versions).toHaveLength(1);
    expect(version).toMatchObject({
      name: "v1beta1",
      served: true,
      storage: true,
      subresources: { status: {} },
    });
  });

  it("requires spec, parentId, spiffeId and selector", () => {
    expect(root?.required).toEqual(["spec"]);
    expect(specSchema?.required).toEqual(["parentId", "spiffeId", "selector"]);
  });

  it("has every spec field with its type, including the snake_case agent_node_uid", () => {
    const types = Object.fromEntries(
      Object.entries(specSchema?.properties ?? {}).map(([k, v]) => [k, v.type]),
    );
    expect(types).toEqual({
      parentId: "string",
      spiffeId: "string",
      selector: "object",
      dnsNames: "array",
      federatesWith: "array",
      downstream: "boolean",
    });
    const selectorTypes = Object.fromEntries(
      Object.entries(selector?.properties ?? {}).map(([k, v]) => [k, v.type]),
    );
    expect(selectorTypes).toEqual({
      podLabel: "object",
      podName: "string",
      podUid: "string",
      namespace: "string",
      serviceAccount: "string",
      containerImage: "string",
      containerName: "string",
      nodeName: "string",
      arbitrary: "array",
      cluster: "string",
      agent_node_uid: "string",
    });
    expect(selector?.properties?.podLabel?.additionalProperties).toEqual({ type: "string" });
    expect(selector?.properties?.arbitrary?.items).toEqual({ type: "string" });
  });

  it("has status.entryId and standard conditions", () => {
    const status = root?.properties?.status;
    expect(status?.properties?.entryId?.type).toBe("string");
    const condition = status?.properties?.conditions?.items;
    expect(condition?.required).toEqual(["type", "status"]);
    expect(Object.keys(condition?.properties ?? {}).sort()).toEqual(
      ["lastTransitionTime", "message", "observedGeneration", "reason", "status", "type"].sort(),
    );
  });

  it("prints the SPIFFE ID, the entry ID and the age", () => {
    expect(version?.additionalPrinterColumns).toEqual([
      { name: "SPIFFE ID", type: "string", jsonPath: ".spec.spiffeId" },
      { name: "Entry ID", type: "string", jsonPath: ".status.entryId" },
      { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
    ]);
  });
});

describe("knative/base/crd/rbac-crd-mode.yaml", () => {
  const docs = load("rbac-crd-mode.yaml");
  const find = (kind: string) => docs.filter((doc) => doc.kind === kind);
  type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
  const allowed = (rules: Rule[], group: string, resource: string) =>
    rules
      .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource))
      .flatMap((r) => r.verbs);

  it("has a ServiceAccount in spire bound to the ClusterRole and the leader-election Role", () => {
    const [account] = find("ServiceAccount");
    expect(account?.metadata).toEqual({ name: "k8s-workload-registrar", namespace: "spire" });
    const subject = { kind: "ServiceAccount", name: "k8s-workload-registrar", namespace: "spire" };
    const [clusterRole] = find("ClusterRole");
    const [role] = find("Role");
    expect(find("ClusterRoleBinding")).toEqual([
      expect.objectContaining({
        roleRef: expect.objectContaining({ kind: "ClusterRole", name: clusterRole?.metadata.name }),
        subjects: [subject],
      }),
    ]);
    expect(role?.metadata.namespace).toBe("spire");
    expect(find("RoleBinding")).toEqual([
      expect.objectContaining({
        metadata: expect.objectContaining({ namespace: "spire" }),
        roleRef: expect.objectContaining({ kind: "Role", name: role?.metadata.name }),
        subjects: [subject],
      }),
    ]);
  });

  it("lets crd mode read pods, nodes and EndpointSlices, and manage SpiffeIDs", () => {
    const rules = (find("ClusterRole")[0]?.rules ?? []) as Rule[];
    for (const [group, resource] of [
      ["", "pods"],
      ["", "nodes"],
      ["discovery.k8s.io", "endpointslices"],
    ] as const) {
      expect(allowed(rules, group, resource).sort()).toEqual(["get", "list", "watch"]);
    }
    expect(allowed(rules, "", "endpoints")).toEqual([]);
    expect(allowed(rules, "spiffeid.spiffe.io", "spiffeids").sort()).toEqual([
      "create",
      "delete",
      "get",
      "list",
      "patch",
      "update",
      "watch",
    ]);
    expect(allowed(rules, "spiffeid.spiffe.io", "spiffeids/status").sort()).toEqual([
      "get",
      "patch",
      "update",
    ]);
    expect(allowed(rules, "spiffeid.spiffe.io", "spiffeids/finalizers")).toEqual(["update"]);
  });

  it("lets the leader election take and renew a Lease", () => {
    const rules = (find("Role")[0]?.rules ?? []) as Rule[];
    expect(allowed(rules, "coordination.k8s.io", "leases")).toEqual(
      expect.arrayContaining(["get", "create", "update"]),
    );
  });
});
