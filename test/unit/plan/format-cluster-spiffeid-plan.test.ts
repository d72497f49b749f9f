/** How `registrar plan` prints a cluster-spiffeid plan: JSON for scripts, a table for people. */
import { describe, expect, it } from "vitest";
import { planClusterSpiffeId, type ScmPlanInput } from "../../../lib/plan/cluster-spiffeid-plan.js";
import { scmPlanToJson, scmPlanToTable } from "../../../lib/plan/format-cluster-spiffeid-plan.js";
import { scmSettings } from "../../fakes/scm-context.js";

const TD = "example.org";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/demo/node-uid`;

const settings = (extra = "") => scmSettings(TD, "demo", extra);

const selectorOf = (uid: string) => [{ type: "k8s", value: `pod-uid:${uid}` }];
const INPUT: ScmPlanInput = {
  cluster: {
    clusterSpiffeIds: [
      {
        metadata: { name: "web", uid: "csid-1" },
        spec: { spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/{{ .PodMeta.Name }}", ttl: "30m" },
        status: { stats: { namespacesSelected: 1, podsSelected: 3, entriesToSet: 2 } },
      },
    ],
    clusterStaticEntries: [],
    namespaces: [{ metadata: { name: "apps" } }],
    nodes: [{ metadata: { name: "n1", uid: "node-uid" } }],
    pods: [
      { metadata: { name: "web-1", namespace: "apps", uid: "u1" }, spec: { nodeName: "n1" } },
      { metadata: { name: "web-2", namespace: "apps", uid: "u2" }, spec: { nodeName: "n1" } },
      { metadata: { name: "web-3", namespace: "apps", uid: "u3" }, spec: { nodeName: "gone" } },
    ],
    servicesByPodUid: new Map(),
  },
  clusterFederatedTrustDomains: [
    {
      metadata: { name: "a", uid: "a" },
      spec: {
        trustDomain: "a.org",
        bundleEndpointURL: "https://a.org/b",
        bundleEndpointProfile: { type: "https_spiffe", endpointSPIFFEID: "spiffe://a.org/spire/server" },
      },
    },
  ],
  entries: [
    {
      id: "reg.1",
      spiffeId: `spiffe://${TD}/web-1`,
      parentId: PARENT,
      selectors: selectorOf("u1"),
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
      x509SvidTtl: 3600,
    },
    {
      id: "old.2",
      spiffeId: `spiffe://${TD}/legacy`,
      parentId: PARENT,
      selectors: selectorOf("u9"),
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    },
    {
      id: "other",
      spiffeId: `spiffe://${TD}/other`,
      parentId: PARENT,
      selectors: selectorOf("u8"),
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    },
  ],
  relationships: [
    {
      trustDomain: "a.org",
      bundleEndpointUrl: "https://a.org/b",
      bundleEndpointProfile: { type: "https_web" },
    },
    {
      trustDomain: "b.org",
      bundleEndpointUrl: "https://b.org",
      bundleEndpointProfile: { type: "https_web" },
    },
  ],
  clusterDomain: "cluster.local",
};

const PLAN = planClusterSpiffeId(INPUT, settings("entryIDPrefix: reg\nentryIDPrefixCleanup: old"));
const SVID = { x509SvidTtl: 0, jwtSvidTtl: 0, hint: "", storeSvid: false };
const NONE = { dnsNames: [], federatesWith: [], admin: false, downstream: false };

describe("scmPlanToJson", () => {
  it("prints the entry writes as the other modes do, with SCM's fields, declarers, changes and reasons", () => {
    expect(JSON.parse(JSON.stringify(scmPlanToJson(PLAN)))).toStrictEqual({
      create: [
        {
          id: "reg.<uuid>",
          spiffeId: `spiffe://${TD}/web-2`,
          parentId: PARENT,
          selectors: ["k8s:pod-uid:u2"],
          ...NONE,
          ...SVID,
          x509SvidTtl: 1800,
          declaredBy: { kind: "ClusterSPIFFEID", name: "web" },
        },
      ],
      update: [
        {
          id: "reg.1",
          spiffeId: `spiffe://${TD}/web-1`,
          parentId: PARENT,
          selectors: ["k8s:pod-uid:u1"],
          ...NONE,
          ...SVID,
          x509SvidTtl: 1800,
          declaredBy: { kind: "ClusterSPIFFEID", name: "web" },
          outdated: [{ field: "x509SvidTtl", current: 3600, declared: 1800 }],
        },
      ],
      delete: [
        {
          id: "old.2",
          spiffeId: `spiffe://${TD}/legacy`,
          parentId: PARENT,
          selectors: ["k8s:pod-uid:u9"],
          ...NONE,
          ...SVID,
          reason: "entry_id_prefix_cleanup",
        },
      ],
      unchanged: 0,
      ownership: {
        entryIdPrefix: "reg.",
        entryIdPrefixCleanup: "old.",
        managed: 1,
        ignored: 1,
        deleteOnly: 1,
        joinTokens: 0,
      },
      federation: {
        create: [],
        update: [
          {
            trustDomain: "a.org",
            bundleEndpointUrl: "https://a.org/b",
            bundleEndpointProfile: "https_spiffe",
            endpointSpiffeId: "spiffe://a.org/spire/server",
            current: {
              trustDomain: "a.org",
              bundleEndpointUrl: "https://a.org/b",
              bundleEndpointProfile: "https_web",
            },
          },
        ],
        delete: [
          { trustDomain: "b.org", bundleEndpointUrl: "https://b.org", bundleEndpointProfile: "https_web" },
        ],
        unchanged: 0,
      },
      renderFailures: [
        { clusterSpiffeId: "web", namespace: "apps", pod: "web-3", error: "node gone not found in cache" },
      ],
      invalid: [],
      statuses: [
        {
          kind: "ClusterSPIFFEID",
          name: "web",
          status: {
            stats: {
              namespacesSelected: 1,
              namespacesIgnored: 0,
              podsSelected: 3,
              podEntryRenderFailures: 1,
              entriesMasked: 0,
              entriesToSet: 2,
              entryFailures: 0,
            },
          },
          changed: true,
        },
      ],
      notes: [],
    });
  });

  it("prints null ownership and federation when they are not planned, and null for an unset cleanup prefix", () => {
    const off = planClusterSpiffeId(
      { ...INPUT, relationships: undefined },
      settings("reconcile:\n  clusterFederatedTrustDomains: true"),
    );
    expect(scmPlanToJson(off)).toMatchObject({ create: [], unchanged: 0, ownership: null, federation: null });
    expect(scmPlanToJson(planClusterSpiffeId(INPUT, settings())).ownership).toMatchObject({
      entryIdPrefix: "",
      entryIdPrefixCleanup: null,
    });
  });
});

describe("scmPlanToTable", () => {
  it("prints one section each: entries, federation, render failures, statuses", () => {
    expect(scmPlanToTable(PLAN)).toBe(
      `ACTION  SPIFFE ID                    PARENT ID                                                SELECTORS       ENTRY ID    DETAIL
create  spiffe://example.org/web-2   spiffe://example.org/spire/agent/k8s_psat/demo/node-uid  k8s:pod-uid:u2  reg.<uuid>  ClusterSPIFFEID web
update  spiffe://example.org/web-1   spiffe://example.org/spire/agent/k8s_psat/demo/node-uid  k8s:pod-uid:u1  reg.1       ClusterSPIFFEID web: x509SvidTtl 3600 -> 1800
delete  spiffe://example.org/legacy  spiffe://example.org/spire/agent/k8s_psat/demo/node-uid  k8s:pod-uid:u9  old.2       entry_id_prefix_cleanup
entries: 1 to create, 1 to update, 1 to delete, 0 unchanged
ownership: entry_id_prefix "reg.": 1 managed, 1 ignored (IDs outside the prefix, never touched), 1 delete-only (entry_id_prefix_cleanup "old.")

ACTION  TRUST DOMAIN  BUNDLE ENDPOINT URL  PROFILE                                   DETAIL
update  a.org         https://a.org/b      https_spiffe spiffe://a.org/spire/server  now https://a.org/b https_web
delete  b.org         https://b.org        https_web                                 no ClusterFederatedTrustDomain declares it
federation relationships: 0 to create, 1 to update, 1 to delete, 0 unchanged

render failures (1):
  ClusterSPIFFEID web, pod apps/web-3: node gone not found in cache

status after the pass (if SPIRE accepts every write):
  ClusterSPIFFEID web: namespacesSelected 1, namespacesIgnored 0, podsSelected 3, podEntryRenderFailures 1, entriesMasked 0, entriesToSet 2, entryFailures 0 (changed)
`,
    );
  });

  it("says plainly that without entry_id_prefix every SPIRE entry is managed, and prints the notes", () => {
    const table = scmPlanToTable(planClusterSpiffeId({ ...INPUT, relationships: undefined }, settings()));
    expect(table).toContain(
      "ownership: no entry_id_prefix, so all 3 SPIRE entries are managed: any entry no custom resource declares is deleted",
    );
    expect(table.trimEnd().split("\n").at(-1)).toBe(
      "note: federation relationships not planned: SPIRE's relationships were not read",
    );
  });
});
