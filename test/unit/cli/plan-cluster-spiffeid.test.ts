/** `registrar plan` in cluster-spiffeid mode, from files: kubectl's List, entry show and federation list. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runMain } from "./run-main.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-plan-scm-"));
function file(name: string, content: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  return path;
}

const TD = "example.org";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/c1/node-uid`;
const socket = join(directory, "no-such.sock");
const hcl = file(
  "registrar.conf",
  `mode = "cluster-spiffeid"\ntrust_domain = "${TD}"\ncluster = "c1"\nserver_socket_path = "${socket}"\nentry_id_prefix = "reg"\nentry_id_prefix_cleanup = "old"\ncluster_domain = "cluster.local"\n`,
);
const controllerManagerConfig = file(
  "scm.yaml",
  `apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\ntrustDomain: ${TD}\nclusterName: c1\nclusterDomain: cluster.local\nentryIDPrefix: reg\nentryIDPrefixCleanup: old\nspireServerSocketPath: ${socket}\n`,
);
const cr = (kind: string, name: string, spec: object) => ({
  apiVersion: "spire.spiffe.io/v1alpha1",
  kind,
  metadata: { name, uid: `${name}-uid`, creationTimestamp: "2026-01-01T00:00:00Z" },
  spec,
});
const pod = (name: string, uid: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "apps", uid, labels: { app: "web" } },
  spec: { nodeName: "n1", serviceAccountName: "web" },
  status: { phase: "Running" },
});
const state = file("state.json", {
  apiVersion: "v1",
  kind: "List",
  items: [
    cr("ClusterSPIFFEID", "web", {
      spiffeIDTemplate:
        "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
      podSelector: { matchLabels: { app: "web" } },
      dnsNameTemplates: ["{{ .PodMeta.Name }}"],
    }),
    cr("ClusterStaticEntry", "db", {
      spiffeID: `spiffe://${TD}/db`,
      parentID: `spiffe://${TD}/spire/server`,
      selectors: ["unix:uid:1000"],
    }),
    cr("ClusterFederatedTrustDomain", "a", {
      trustDomain: "a.org",
      bundleEndpointURL: "https://a.org/bundle",
      bundleEndpointProfile: { type: "https_web" },
    }),
    pod("web-1", "u1"),
    pod("web-2", "u2"),
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } },
    { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "node-uid" } },
  ],
});
const id = (path: string) => ({ trust_domain: TD, path });
const entries = file("entries.json", {
  entries: [
    {
      id: "reg.1",
      spiffe_id: id("/ns/apps/sa/web"),
      parent_id: id("/spire/agent/k8s_psat/c1/node-uid"),
      selectors: [{ type: "k8s", value: "pod-uid:u1" }],
      dns_names: ["web-1", "old-name"],
    },
    {
      id: "old.2",
      spiffe_id: id("/legacy"),
      parent_id: id("/spire/server"),
      selectors: [{ type: "unix", value: "uid:1" }],
    },
    {
      id: "hand-made",
      spiffe_id: id("/admin"),
      parent_id: id("/spire/server"),
      selectors: [{ type: "unix", value: "uid:0" }],
    },
  ],
});
const federation = file("federation.json", {
  federation_relationships: [{ trust_domain: "b.org", bundle_endpoint_url: "https://b.org", https_web: {} }],
  next_page_token: "",
});
const FROM_FILES = ["--cluster-state", state, "--entries", entries, "--federation", federation];

describe("registrar plan in cluster-spiffeid mode", () => {
  it("prints the entry and federation writes, ownership and statuses as JSON", async () => {
    const result = await runMain(["plan", "-config", hcl, ...FROM_FILES, "--output", "json"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.create.map((e: { id: string; spiffeId: string }) => [e.id, e.spiffeId])).toEqual([
      ["reg.<uuid>", `spiffe://${TD}/db`],
      ["reg.<uuid>", `spiffe://${TD}/ns/apps/sa/web`],
    ]);
    expect(plan.create[1]).toMatchObject({
      parentId: PARENT,
      selectors: ["k8s:pod-uid:u2"],
      dnsNames: ["web-2"],
    });
    expect(plan.update).toEqual([
      expect.objectContaining({
        id: "reg.1",
        declaredBy: { kind: "ClusterSPIFFEID", name: "web" },
        outdated: [{ field: "dnsNames", current: ["web-1", "old-name"], declared: ["web-1"] }],
      }),
    ]);
    expect(plan.delete.map((e: { id: string; reason: string }) => [e.id, e.reason])).toEqual([
      ["old.2", "entry_id_prefix_cleanup"],
    ]);
    expect(plan.ownership).toEqual({
      entryIdPrefix: "reg.",
      entryIdPrefixCleanup: "old.",
      managed: 1,
      ignored: 1,
      deleteOnly: 1,
      joinTokens: 0,
    });
    expect(plan.federation).toEqual({
      create: [
        {
          trustDomain: "a.org",
          bundleEndpointUrl: "https://a.org/bundle",
          bundleEndpointProfile: "https_web",
        },
      ],
      update: [],
      delete: [
        { trustDomain: "b.org", bundleEndpointUrl: "https://b.org", bundleEndpointProfile: "https_web" },
      ],
      unchanged: 0,
    });
    expect(plan.statuses).toEqual([
      expect.objectContaining({ kind: "ClusterSPIFFEID", name: "web", changed: true }),
      {
        kind: "ClusterStaticEntry",
        name: "db",
        status: { rendered: true, masked: false, set: true },
        changed: true,
      },
    ]);
  });

  it("takes spire-controller-manager's own config file and plans the same", async () => {
    const [fromHcl, fromYaml] = await Promise.all([
      runMain(["plan", "-config", hcl, ...FROM_FILES, "--output", "json"]),
      runMain(["plan", "-config", controllerManagerConfig, ...FROM_FILES, "--output", "json"]),
    ]);
    expect(fromYaml.code).toBe(0);
    expect(fromYaml.stdout).toBe(fromHcl.stdout);
  });

  it("prints a table with one section per kind of write", async () => {
    const result = await runMain(["plan", "-config", hcl, ...FROM_FILES]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^ACTION +SPIFFE ID +PARENT ID +SELECTORS +ENTRY ID +DETAIL$/);
    expect(lines).toContain("entries: 2 to create, 1 to update, 1 to delete, 0 unchanged");
    expect(lines).toContain("federation relationships: 1 to create, 0 to update, 1 to delete, 0 unchanged");
    expect(lines.find((line) => line.startsWith("update "))).toMatch(
      /reg\.1 +ClusterSPIFFEID web: dnsNames \["web-1","old-name"\] -> \["web-1"\]$/,
    );
  });

  it("reads SPIRE's federation relationships live without --federation: exits 1 naming the socket and --federation", async () => {
    const result = await runMain(["plan", "-config", hcl, "--cluster-state", state, "--entries", entries]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `cannot read the SPIRE server's federation relationships: SPIRE server socket ${socket} does not exist`,
    );
    expect(result.stderr).toContain(
      'pass --federation FILE with the output of "spire-server federation list -output json"',
    );
  });

  it("reads no relationships when the config does not reconcile ClusterFederatedTrustDomains", async () => {
    const entriesOnly = file(
      "scm-entries-only.yaml",
      `apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\ntrustDomain: ${TD}\nclusterName: c1\nclusterDomain: cluster.local\nspireServerSocketPath: ${socket}\nreconcile:\n  clusterSPIFFEIDs: true\n  clusterStaticEntries: true\n`,
    );
    const result = await runMain([
      "plan",
      "-config",
      entriesOnly,
      "--cluster-state",
      state,
      "--entries",
      entries,
      "--output",
      "json",
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout);
    expect(plan.federation).toBeNull();
    expect(plan.notes).toEqual([
      "federation relationships not planned: reconcile.clusterFederatedTrustDomains is off",
    ]);
  });

  it("exits 1 naming the socket and --entries when SPIRE cannot be read", async () => {
    const result = await runMain([
      "plan",
      "-config",
      hcl,
      "--cluster-state",
      state,
      "--federation",
      federation,
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      `cannot read the SPIRE server's entries: SPIRE server socket ${socket} does not exist`,
    );
    expect(result.stderr).toContain("pass --entries FILE");
  });

  it.each([
    [
      ["--federation", file("bad-federation.json", { federation_relationships: [{ trust_domain: "x" }] })],
      "bad-federation.json: federation_relationships[0]: missing bundle_endpoint_url",
    ],
    [["--cluster-state", file("no-kind.json", { items: [{}] })], 'no-kind.json: items[0] has no "kind"'],
  ])("rejects a bad file with exit 1: %j", async (extra, message) => {
    const result = await runMain(["plan", "-config", hcl, ...FROM_FILES, ...extra]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(message);
  });

  it("warns when the state file leaves out a kind the plan depends on", async () => {
    const podsOnly = file("pods-only.json", { kind: "List", items: [pod("web-1", "u1")] });
    const result = await runMain([
      "plan",
      "-config",
      hcl,
      "--cluster-state",
      podsOnly,
      "--entries",
      entries,
      "--federation",
      federation,
    ]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: ${podsOnly} lists no Namespace objects`);
  });
});
