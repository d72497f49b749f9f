import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "./run-main.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-plan-"));
function file(name: string, content: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const TD = "example.org";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/c1/node`;
const config = file(
  "reconcile.conf",
  `mode = "reconcile"\ntrust_domain = "${TD}"\ncluster = "c1"\nserver_socket_path = "${directory}/no-such.sock"\nadd_pod_dns_names = true\n`,
);
const state = file("state.json", {
  apiVersion: "v1",
  kind: "List",
  items: [
    { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-1",
        namespace: "default",
        annotations: { "spiffe.io/federatesWith": "b.org,a.org" },
      },
      spec: { nodeName: "n1", serviceAccountName: "web" },
      status: { phase: "Running", podIP: "10.0.0.5" },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "dns", namespace: "kube-system" },
      spec: { nodeName: "n1" },
    },
  ],
});
const protoId = (path: string) => ({ trust_domain: TD, path });
const entries = file("entries.json", {
  entries: [
    {
      id: "stale-1",
      spiffe_id: protoId("/ns/default/sa/gone"),
      parent_id: protoId("/spire-k8s-registrar/c1/node/n1"),
      selectors: [
        { type: "k8s", value: "pod-name:gone" },
        { type: "k8s", value: "ns:default" },
      ],
      x509_svid_ttl: 0,
      federates_with: [],
      admin: false,
      downstream: false,
      dns_names: [],
      revision_number: "0",
      created_at: "1700000000",
    },
    {
      id: "node-1",
      spiffe_id: protoId("/spire-k8s-registrar/c1/node/n1"),
      parent_id: protoId("/spire/server"),
      selectors: [
        { type: "k8s_psat", value: "agent_node_name:n1" },
        { type: "k8s_psat", value: "cluster:c1" },
      ],
      federates_with: ["x.org"],
    },
    {
      id: "foreign-1",
      spiffe_id: protoId("/ns/default/sa/gone"),
      parent_id: protoId("/spire-k8s-registrar/c1/node-extra/n1"),
      selectors: [{ type: "k8s", value: "ns:default" }],
    },
  ],
});

describe("registrar plan", () => {
  it("prints creates, updates and deletes of owned entries as JSON", async () => {
    const result = await runMain([
      "plan",
      "-config",
      config,
      "--cluster-state",
      state,
      "--entries",
      entries,
      "--output",
      "json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      create: [
        {
          spiffeId: `spiffe://${TD}/ns/default/sa/web`,
          parentId: `${ROOT}/n1`,
          selectors: ["k8s:ns:default", "k8s:pod-name:web-1"],
          dnsNames: ["10-0-0-5.default.pod.cluster.local", "10-0-0-5.default.pod"],
          federatesWith: ["a.org", "b.org"],
          admin: false,
          downstream: false,
        },
      ],
      update: [
        {
          id: "node-1",
          spiffeId: `${ROOT}/n1`,
          parentId: `spiffe://${TD}/spire/server`,
          selectors: ["k8s_psat:agent_node_name:n1", "k8s_psat:cluster:c1"],
          dnsNames: [],
          federatesWith: [],
          admin: false,
          downstream: false,
        },
      ],
      delete: [
        {
          id: "stale-1",
          spiffeId: `spiffe://${TD}/ns/default/sa/gone`,
          parentId: `${ROOT}/n1`,
          selectors: ["k8s:ns:default", "k8s:pod-name:gone"],
          dnsNames: [],
          federatesWith: [],
          admin: false,
          downstream: false,
        },
      ],
    });
  });

  it("prints a readable table by default", async () => {
    const result = await runMain(["plan", "-config", config, "--cluster-state", state, "--entries", entries]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ACTION +SPIFFE ID +PARENT ID +SELECTORS +DNS NAMES +ENTRY ID$/);
    expect(lines[1]).toMatch(/^create +spiffe:\/\/example\.org\/ns\/default\/sa\/web /);
    expect(lines.at(-1)).toBe("1 to create, 1 to update, 1 to delete");
  });

  it("exits 1 naming the socket and --entries when SPIRE cannot be read, and prints no plan", async () => {
    const result = await runMain(["plan", "-config", config, "--cluster-state", state, "--output", "json"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot read the SPIRE server's entries: SPIRE server socket ${directory}/no-such.sock does not exist`,
    );
    expect(result.stderr).toContain("pass --entries FILE");
    expect(result.stdout).toBe("");
  });

  it.each([
    [["--output", "yaml"], 2, "--output must be table or json"],
    [["--cluster-state", file("bad.json", "{")], 1, "bad.json: not valid JSON"],
    [["--cluster-state", file("nokind.json", { items: [{}] })], 1, 'nokind.json: items[0] has no "kind"'],
    [
      ["--cluster-state", state, "--entries", file("badentry.json", { entries: [{ id: "x" }] })],
      1,
      "badentry.json: entries[0]: missing spiffe_id",
    ],
  ])("rejects %j with exit %i", async (extra, code, message) => {
    const result = await runMain(["plan", "-config", config, ...extra]);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });
});

describe("registrar plan: Service DNS names from the state file", () => {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web-1", namespace: "default", uid: "u1" },
    spec: { nodeName: "n1", serviceAccountName: "web" },
    status: { phase: "Running", podIP: "10.0.0.5" },
  };
  const target = { kind: "Pod", namespace: "default", name: "web-1", uid: "u1" };
  const slice = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: "web-x7k2p", namespace: "default", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["10.0.0.5"], conditions: { ready: true }, targetRef: target }],
  };
  const endpoints = {
    apiVersion: "v1",
    kind: "Endpoints",
    metadata: { name: "api", namespace: "default" },
    subsets: [{ addresses: [{ ip: "10.0.0.5", targetRef: target }] }],
  };
  const list = (...items: object[]) => ({ apiVersion: "v1", kind: "List", items: [pod, ...items] });
  const empty = file("no-entries.json", { entries: [] });
  const plannedNames = async (conf: string, stateFile: string) => {
    const result = await runMain([
      "plan",
      "-config",
      conf,
      "--cluster-state",
      stateFile,
      "--entries",
      empty,
      "--output",
      "json",
    ]);
    expect(result.code).toBe(0);
    return { stderr: result.stderr, names: JSON.parse(result.stdout).create[0].dnsNames as string[] };
  };
  const switched = file(
    "reconcile-endpoints.conf",
    `mode = "reconcile"\ntrust_domain = "${TD}"\ncluster = "c1"\nserver_socket_path = "/s"\nadd_pod_dns_names = true\nendpoints_source = "endpoints"\n`,
  );

  it("reads EndpointSlices by default (kubectl get pods,nodes,endpointslices), and Endpoints with the switch", async () => {
    const both = file("both.json", list(slice, endpoints));
    const bySlices = await plannedNames(config, both);
    expect(bySlices.names).toContain("web.default.svc");
    expect(bySlices.names).not.toContain("api.default.svc");
    const byEndpoints = await plannedNames(switched, both);
    expect(byEndpoints.names).toContain("api.default.svc");
    expect(byEndpoints.names).not.toContain("web.default.svc");
    expect([bySlices.stderr, byEndpoints.stderr]).toEqual(["", ""]);
  });

  it("warns when the file lists only the other API's objects", async () => {
    const onlyEndpoints = await plannedNames(config, file("only-endpoints.json", list(endpoints)));
    expect(onlyEndpoints.names).toEqual(["10-0-0-5.default.pod.cluster.local", "10-0-0-5.default.pod"]);
    expect(onlyEndpoints.stderr).toBe(
      `warning: ${directory}/only-endpoints.json lists Endpoints objects but no EndpointSlice, and endpoints_source is "endpointslices": the plan has no Service DNS names (list endpointslices with kubectl, or set endpoints_source = "endpoints")\n`,
    );
    const onlySlices = await plannedNames(switched, file("only-slices.json", list(slice)));
    expect(onlySlices.stderr).toContain(
      'lists EndpointSlice objects but no Endpoints, and endpoints_source is "endpoints"',
    );
  });
});

describe("registrar plan in webhook mode", () => {
  it("plans the cluster node alias and one entry per pod, parented to it", async () => {
    const webhook = file(
      "webhook.conf",
      `mode = "webhook"\ntrust_domain = "${TD}"\ncluster = "c1"\nserver_socket_path = "${directory}/no-such.sock"\n`,
    );
    const result = await runMain([
      "plan",
      "-config",
      webhook,
      "--cluster-state",
      state,
      "--entries",
      file("none.json", { entries: [] }),
      "--output",
      "json",
    ]);
    expect(result.code).toBe(0);
    const alias = `spiffe://${TD}/k8s-workload-registrar/c1/node`;
    expect(
      JSON.parse(result.stdout).create.map((e: { spiffeId: string; parentId: string }) => [
        e.spiffeId,
        e.parentId,
      ]),
    ).toEqual([
      [alias, `spiffe://${TD}/spire/server`],
      [`spiffe://${TD}/ns/default/sa/web`, alias],
    ]);
  });
});

describe("registrar plan in crd mode", () => {
  const crdConfig = file(
    "crd.conf",
    `mode = "crd"\ntrust_domain = "${TD}"\ncluster = "c1"\nserver_socket_path = "${directory}/no-such.sock"\n`,
  );
  const podOwner = (name: string, uid: string) => [
    { apiVersion: "v1", kind: "Pod", name, uid, controller: true },
  ];
  const crdState = file("crd-state.json", {
    apiVersion: "v1",
    kind: "List",
    items: [
      { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "node-uid" } },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web-1", namespace: "default", uid: "web-uid" },
        spec: { nodeName: "n1", serviceAccountName: "web" },
        status: { phase: "Running" },
      },
      {
        apiVersion: "spiffeid.spiffe.io/v1beta1",
        kind: "SpiffeID",
        metadata: { name: "gone-1", namespace: "default", ownerReferences: podOwner("gone-1", "gone-uid") },
        spec: {
          spiffeId: `spiffe://${TD}/ns/default/sa/gone`,
          parentId: `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
          selector: { podUid: "gone-uid", namespace: "default", nodeName: "n1" },
        },
        status: { entryId: "gone-entry" },
      },
      {
        apiVersion: "spiffeid.spiffe.io/v1beta1",
        kind: "SpiffeID",
        metadata: { name: "manual", namespace: "default" },
        spec: {
          spiffeId: `spiffe://${TD}/manual`,
          parentId: `spiffe://${TD}/spire/agent/x`,
          selector: { namespace: "default", serviceAccount: "m" },
        },
        status: { entryId: "manual-entry" },
      },
    ],
  });
  const crdEntries = file("crd-entries.json", {
    entries: [
      {
        id: "gone-entry",
        spiffe_id: protoId("/ns/default/sa/gone"),
        parent_id: protoId("/k8s-workload-registrar/c1/node/n1"),
        selectors: [
          { type: "k8s", value: "pod-uid:gone-uid" },
          { type: "k8s", value: "ns:default" },
          { type: "k8s", value: "node-name:n1" },
        ],
      },
      {
        id: "manual-entry",
        spiffe_id: protoId("/manual"),
        parent_id: protoId("/spire/agent/x"),
        selectors: [
          { type: "k8s", value: "ns:default" },
          { type: "k8s", value: "sa:m" },
        ],
      },
    ],
  });

  it("plans the SpiffeIDs and the entries they call for, and leaves manual SpiffeIDs alone", async () => {
    const result = await runMain([
      "plan",
      "-config",
      crdConfig,
      "--cluster-state",
      crdState,
      "--entries",
      crdEntries,
      "--namespace",
      "spire",
      "--output",
      "json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(
      plan.spiffeIds.create.map((s: { namespace: string; name: string }) => `${s.namespace}/${s.name}`),
    ).toEqual(["default/web-1", "spire/n1"]);
    expect(plan.spiffeIds.create[0]).toEqual({
      namespace: "default",
      name: "web-1",
      spiffeId: `spiffe://${TD}/ns/default/sa/web`,
      parentId: `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
      selectors: ["k8s:node-name:n1", "k8s:ns:default", "k8s:pod-uid:web-uid"],
      dnsNames: ["web-1"],
      federatesWith: [],
    });
    expect(plan.spiffeIds.update).toEqual([]);
    expect(plan.spiffeIds.delete.map((s: { name: string }) => s.name)).toEqual(["gone-1"]);
    expect(plan.create.map((e: { spiffeId: string }) => e.spiffeId).sort()).toEqual([
      `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
      `spiffe://${TD}/ns/default/sa/web`,
    ]);
    expect(plan.update).toEqual([]);
    expect(plan.delete.map((e: { id: string }) => e.id)).toEqual(["gone-entry"]);
  });

  it("prints the SpiffeID writes before the entry table", async () => {
    const result = await runMain([
      "plan",
      "-config",
      crdConfig,
      "--cluster-state",
      crdState,
      "--entries",
      crdEntries,
      "--namespace",
      "spire",
    ]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(
      /^create SpiffeID default\/web-1 {2}spiffe:\/\/example\.org\/ns\/default\/sa\/web/,
    );
    expect(lines).toContain("2 SpiffeIDs to create, 0 to update, 1 to delete");
    expect(lines.at(-2)).toBe("2 to create, 0 to update, 1 to delete");
  });
});
