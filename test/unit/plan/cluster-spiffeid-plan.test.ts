/** What `registrar plan` shows of a cluster-spiffeid resync: ownership, reasons, changes, federation, statuses. */
import { describe, expect, it } from "vitest";
import {
  NEW_UUID_PLACEHOLDER,
  planClusterSpiffeId,
  type ScmPlanInput,
} from "../../../lib/plan/cluster-spiffeid-plan.js";
import type { Entry } from "../../../lib/planner/entry.js";
import { type ClusterState, ZERO_STATS } from "../../../lib/scm/index.js";
import { scmSettings } from "../../fakes/scm-context.js";

const TD = "example.org";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/demo/node-uid`;

const settings = (extra = "") => scmSettings(TD, "demo", extra);

const CLUSTER: ClusterState = {
  clusterSpiffeIds: [
    {
      metadata: { name: "web", uid: "csid-1", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/{{ .PodMeta.Name }}", ttl: "30m" },
    },
    { metadata: { name: "bad", uid: "csid-2" }, spec: { spiffeIDTemplate: "{{" } },
  ],
  clusterStaticEntries: [{ metadata: { name: "nothing", uid: "cse-1" }, spec: { spiffeID: "x" } }],
  namespaces: [{ metadata: { name: "apps" } }],
  nodes: [{ metadata: { name: "n1", uid: "node-uid" } }],
  pods: [
    { metadata: { name: "web-1", namespace: "apps", uid: "u1" }, spec: { nodeName: "n1" } },
    { metadata: { name: "web-2", namespace: "apps", uid: "u2" }, spec: { nodeName: "n9" } },
  ],
  servicesByPodUid: new Map(),
};

function entry(id: string, name: string, extra: Partial<Entry> = {}): Entry {
  return {
    id,
    spiffeId: `spiffe://${TD}/${name}`,
    parentId: PARENT,
    selectors: [{ type: "k8s", value: `pod-uid:${name === "web-1" ? "u1" : name}` }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...extra,
  };
}

const JOIN_TOKEN: Entry = {
  ...entry("reg.jt", "agent"),
  parentId: `spiffe://${TD}/spire/agent/join_token/t`,
  selectors: [{ type: "spiffe_id", value: `spiffe://${TD}/spire/agent/join_token/t` }],
};

function input(extra: Partial<ScmPlanInput> = {}): ScmPlanInput {
  return {
    cluster: CLUSTER,
    clusterFederatedTrustDomains: [],
    entries: [],
    relationships: [],
    clusterDomain: "cluster.local",
    ...extra,
  };
}

describe("planClusterSpiffeId: entries", () => {
  it("says why each entry goes, what each update changes, and how the entries divide under the prefixes", () => {
    const entries = [
      entry("reg.1", "web-1", { x509SvidTtl: 3600, hint: "old", storeSvid: true }),
      entry("reg.2", "web-1", { x509SvidTtl: 1800 }),
      entry("reg.3", "gone"),
      entry("old.4", "legacy"),
      entry("hand-made", "admin", { admin: true }),
      JOIN_TOKEN,
    ];
    const plan = planClusterSpiffeId(
      input({ entries }),
      settings("entryIDPrefix: reg\nentryIDPrefixCleanup: old"),
    );
    const writes = plan.entries;
    expect(writes?.plan.create).toEqual([]);
    expect(writes?.plan.update.map((item) => item.entry.id)).toEqual(["reg.1"]);
    expect(writes?.changes).toEqual([
      [
        { field: "x509SvidTtl", current: 3600, declared: 1800 },
        { field: "hint", current: "old", declared: "" },
        { field: "storeSvid", current: true, declared: false },
      ],
    ]);
    expect(writes?.plan.delete.map((item) => item.id)).toEqual(["reg.2", "reg.3", "old.4"]);
    expect(writes?.deleteReasons).toEqual(["duplicate", "undeclared", "entry_id_prefix_cleanup"]);
    expect(writes?.ownership).toEqual({
      entryIdPrefix: "reg.",
      entryIdPrefixCleanup: "old.",
      managed: 4,
      ignored: 1,
      deleteOnly: 1,
      joinTokens: 1,
    });
  });

  it("without a prefix owns every entry: a hand-made one is deleted as undeclared", () => {
    const plan = planClusterSpiffeId(input({ entries: [entry("abc", "admin")] }), settings());
    expect(plan.entries?.plan.delete.map((item) => item.id)).toEqual(["abc"]);
    expect(plan.entries?.deleteReasons).toEqual(["undeclared"]);
    expect(plan.entries?.plan.create.map((item) => [item.entry.id, item.entry.spiffeId])).toEqual([
      [undefined, `spiffe://${TD}/web-1`],
    ]);
    expect(plan.entries?.ownership).toMatchObject({ entryIdPrefix: "", managed: 1, ignored: 0 });
  });

  it('moving SCM\'s SPIRE-named entries under a prefix (cleanup ""): replaces them, keeps IDs with a "."', () => {
    const plan = planClusterSpiffeId(
      input({ entries: [entry("5b0c9d2e-uuid", "web-1", { x509SvidTtl: 1800 }), entry("team.x", "other")] }),
      settings('entryIDPrefix: reg\nentryIDPrefixCleanup: ""'),
    );
    expect(plan.entries?.plan.delete.map((item) => [item.id, item.spiffeId])).toEqual([
      ["5b0c9d2e-uuid", `spiffe://${TD}/web-1`],
    ]);
    expect(plan.entries?.deleteReasons).toEqual(["entry_id_prefix_cleanup"]);
    expect(plan.entries?.plan.create.map((item) => [item.entry.id, item.entry.spiffeId])).toEqual([
      [`reg.${NEW_UUID_PLACEHOLDER}`, `spiffe://${TD}/web-1`],
    ]);
    expect(plan.entries?.ownership).toMatchObject({ managed: 0, ignored: 1, deleteOnly: 1 });
  });

  it("lists render failures, invalid CRs, and each CR's status as written if SPIRE accepts everything", () => {
    const plan = planClusterSpiffeId(input(), settings());
    expect(plan.renderFailures).toEqual([
      {
        clusterSpiffeId: expect.objectContaining({ name: "web" }),
        pod: { namespace: "apps", name: "web-2", uid: "u2" },
        error: "node n9 not found in cache",
      },
    ]);
    expect(plan.invalid).toEqual([
      {
        kind: "ClusterSPIFFEID",
        name: "bad",
        error: "invalid SPIFFEID template: template: spiffeIDTemplate:1: unclosed action",
      },
      {
        kind: "ClusterStaticEntry",
        name: "nothing",
        error: "failed to parse SPIFFEID: scheme is missing or invalid",
      },
    ]);
    expect(plan.statuses.map((item) => [item.name, item.status, item.changed])).toEqual([
      [
        "web",
        {
          stats: {
            ...ZERO_STATS,
            namespacesSelected: 1,
            podsSelected: 2,
            podEntryRenderFailures: 1,
            entriesToSet: 1,
          },
        },
        true,
      ],
      ["bad", { stats: ZERO_STATS }, false],
      // No stored status reads as all false: nothing to write.
      ["nothing", { rendered: false, masked: false, set: false }, false],
    ]);
  });

  it("plans no entries when the config reconciles neither kind", () => {
    const plan = planClusterSpiffeId(
      input({ entries: [entry("abc", "admin")] }),
      settings("reconcile:\n  clusterFederatedTrustDomains: true"),
    );
    expect(plan.entries).toBeUndefined();
    expect(plan.statuses).toEqual([]);
    expect(plan.notes).toEqual([
      "entries not planned: reconcile.clusterSPIFFEIDs and reconcile.clusterStaticEntries are off",
    ]);
  });
});

describe("planClusterSpiffeId: federation", () => {
  const cftd = (name: string, trustDomain: string, url: string, created = "2026-01-01T00:00:00Z") => ({
    metadata: { name, uid: name, creationTimestamp: created },
    spec: { trustDomain, bundleEndpointURL: url, bundleEndpointProfile: { type: "https_web" } },
  });
  const web = (trustDomain: string, url: string) => ({
    trustDomain,
    bundleEndpointUrl: url,
    bundleEndpointProfile: { type: "https_web" as const },
  });
  const resources = [
    cftd("a", "a.org", "https://a.org/new"),
    cftd("b", "b.org", "https://b.org"),
    cftd("d", "d.org", "https://d.org"),
    cftd("a-again", "a.org", "https://a.org/other", "2026-02-01T00:00:00Z"),
    {
      metadata: { name: "broken", uid: "x" },
      spec: { trustDomain: "e.org", bundleEndpointURL: "http://e.org" },
    },
  ];

  it("creates, updates (showing SPIRE's current relationship), deletes and counts the unchanged", () => {
    const plan = planClusterSpiffeId(
      input({
        clusterFederatedTrustDomains: resources,
        relationships: [
          web("a.org", "https://a.org/old"),
          web("b.org", "https://b.org"),
          web("c.org", "https://c.org"),
        ],
      }),
      settings(),
    );
    expect(plan.federation?.plan.create.map((item) => item.trustDomain)).toEqual(["d.org"]);
    expect(plan.federation?.plan.update.map((item) => item.bundleEndpointUrl)).toEqual(["https://a.org/new"]);
    expect(plan.federation?.currentOfUpdates).toEqual([web("a.org", "https://a.org/old")]);
    expect(plan.federation?.plan.delete.map((item) => item.trustDomain)).toEqual(["c.org"]);
    expect(plan.federation?.unchanged).toBe(1);
    expect(plan.invalid.filter((item) => item.kind === "ClusterFederatedTrustDomain")).toEqual([
      // In SCM's order: oldest first (no creation time is the oldest).
      {
        kind: "ClusterFederatedTrustDomain",
        name: "broken",
        error: "invalid bundleEndpointURL value: scheme must be https",
      },
      {
        kind: "ClusterFederatedTrustDomain",
        name: "a-again",
        error: "its trust domain is already declared by ClusterFederatedTrustDomain a",
      },
    ]);
  });

  it("without SPIRE's relationships plans no federation writes, says so, and still reports invalid CRs", () => {
    const plan = planClusterSpiffeId(
      input({ clusterFederatedTrustDomains: resources, relationships: undefined }),
      settings(),
    );
    expect(plan.federation).toBeUndefined();
    expect(plan.notes).toEqual(["federation relationships not planned: SPIRE's relationships were not read"]);
    expect(plan.invalid.map((item) => item.name)).toContain("broken");
  });
});
