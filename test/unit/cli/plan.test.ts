import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../../bin/main.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-plan-"));
function file(name: string, content: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

async function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
  });
  return { code, stdout, stderr };
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
    const result = await run([
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
    const result = await run(["plan", "-config", config, "--cluster-state", state, "--entries", entries]);
    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^ACTION +SPIFFE ID +PARENT ID +SELECTORS +DNS NAMES +ENTRY ID$/);
    expect(lines[1]).toMatch(/^create +spiffe:\/\/example\.org\/ns\/default\/sa\/web /);
    expect(lines.at(-1)).toBe("1 to create, 1 to update, 1 to delete");
  });

  it("plans against no entries when none are given and SPIRE is not reachable", async () => {
    const result = await run(["plan", "-config", config, "--cluster-state", state, "--output", "json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("note: SPIRE server not reachable");
    expect(JSON.parse(result.stdout).create).toHaveLength(2);
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
    const result = await run(["plan", "-config", config, ...extra]);
    expect(result.code).toBe(code);
    expect(result.stderr).toContain(message);
  });
});
