/**
 * `registrar plan` in cluster-spiffeid mode shows what the resync writes: over the same in-memory cluster and
 * fake SPIRE server, the plan (read as the full pass reads, decided by lib/scm-sync/plan-pass.ts) is compared
 * with what runFullPass then writes: the entries and federation relationships SPIRE ends with, the summary's
 * counts, the status writes.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { planClusterSpiffeId } from "../../../lib/plan/cluster-spiffeid-plan.js";
import type { Entry, EntrySpec } from "../../../lib/planner/entry.js";
import type { FederationRelationship } from "../../../lib/scm/index.js";
import type { ScmSyncContext } from "../../../lib/scm-sync/context.js";
import { federationApi } from "../../../lib/scm-sync/federation-api.js";
import { runFullPass } from "../../../lib/scm-sync/full-pass.js";
import { readEntriesPassState, readFederationPassResources } from "../../../lib/scm-sync/full-pass-state.js";
import type { SpireClient } from "../../../lib/spire/client.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { comparableEntry } from "../../e2e/support/spire-entries.js";
import { type FakeScmCluster, fakeScmCluster } from "../../fakes/scm-cluster.js";
import { scmSettings, scmSpireClients, scmTestContext } from "../../fakes/scm-context.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const TD = "example.org";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/demo/node-uid`;

function spec(name: string, extra: Partial<EntrySpec> = {}): EntrySpec {
  return {
    spiffeId: `spiffe://${TD}/ns/apps/sa/${name}`,
    parentId: PARENT,
    selectors: [{ type: "k8s", value: `pod-uid:uid-${name}` }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...extra,
  };
}

/** An entry's fields as SPIRE holds them, for comparing entry sets. */
const comparable = (entry: Entry | (EntrySpec & { id?: string })) => comparableEntry(entry, "reg");

describe.each([
  ["with entry_id_prefix and a cleanup prefix", "entryIDPrefix: reg\nentryIDPrefixCleanup: old"],
  ["without a prefix (every entry owned)", ""],
])("registrar plan and the full pass %s", (_, extraConfig) => {
  let fake: FakeSpireServer;
  let spire: SpireClient;
  let cluster: FakeScmCluster;
  let context: ScmSyncContext;

  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: TD });
    const clients = scmSpireClients(fake.socketPath);
    spire = clients.spire;
    cluster = fakeScmCluster();
    cluster.namespaces = [{ metadata: { name: "apps" } }, { metadata: { name: "kube-system" } }];
    cluster.nodes = [{ metadata: { name: "node-1", uid: "node-uid" } }];
    const pod = (name: string, namespace = "apps", node = "node-1") => ({
      metadata: { name, namespace, uid: `uid-${name}`, labels: { app: "web" } },
      spec: { nodeName: node, serviceAccountName: name },
    });
    cluster.pods = [
      pod("web-0"),
      pod("web-1"),
      pod("web-2"),
      pod("lost", "apps", "node-9"),
      pod("dns", "kube-system"),
    ];
    cluster.services = new Map([["uid-web-1", [{ name: "web", namespace: "apps" }]]]);
    cluster.resources.clusterspiffeids = [
      {
        metadata: { name: "web", uid: "csid-web", creationTimestamp: "2026-01-01T00:00:00Z" },
        spec: {
          spiffeIDTemplate:
            "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
          podSelector: { matchLabels: { app: "web" } },
          ttl: "1h",
          autoPopulateDNSNames: true,
        },
        status: { stats: { namespacesSelected: 2, podsSelected: 4, entriesToSet: 3 } },
      },
      { metadata: { name: "bad", uid: "csid-bad" }, spec: { spiffeIDTemplate: "{{" } },
    ];
    cluster.resources.clusterstaticentries = [
      {
        metadata: { name: "db", uid: "cse-db" },
        spec: {
          spiffeID: `spiffe://${TD}/db`,
          parentID: `spiffe://${TD}/spire/server`,
          selectors: ["unix:uid:1000"],
        },
      },
    ];
    const trustDomain = (name: string, url: string, profile: object) => ({
      metadata: { name, uid: `uid-${name}`, creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: { trustDomain: `${name}.test`, bundleEndpointURL: url, bundleEndpointProfile: profile },
    });
    cluster.resources.clusterfederatedtrustdomains = [
      trustDomain("a", "https://a.test/bundle", { type: "https_web" }),
      trustDomain("b", "https://b.test/new", {
        type: "https_spiffe",
        endpointSPIFFEID: "spiffe://b.test/server",
      }),
      trustDomain("c", "https://c.test/bundle", { type: "https_web" }),
    ];
    const prefixed = extraConfig !== "";
    fake.seed([
      // web-0: up to date; web-1: outdated TTL and DNS names; a pod that is gone; a cleanup entry; a foreign one.
      entrySpecToProto(spec("web-0", { x509SvidTtl: 3600 }), prefixed ? "reg.a" : ""),
      entrySpecToProto(spec("web-1", { x509SvidTtl: 600 }), prefixed ? "reg.b" : ""),
      entrySpecToProto(spec("gone"), prefixed ? "reg.c" : ""),
      entrySpecToProto(spec("legacy"), "old.d"),
      entrySpecToProto(
        {
          spiffeId: `spiffe://${TD}/admin`,
          parentId: `spiffe://${TD}/spire/server`,
          selectors: [{ type: "unix", value: "uid:0" }],
          dnsNames: [],
          federatesWith: [],
          admin: true,
          downstream: false,
        },
        "hand-made",
      ),
    ]);
    const relationships = await clients.trustDomains.createFederationRelationships(
      [
        {
          trustDomain: "b.test",
          bundleEndpointUrl: "https://b.test/old",
          bundleEndpointProfile: { type: "https_web" as const },
        },
        {
          trustDomain: "c.test",
          bundleEndpointUrl: "https://c.test/bundle",
          bundleEndpointProfile: { type: "https_web" as const },
        },
        {
          trustDomain: "d.test",
          bundleEndpointUrl: "https://d.test",
          bundleEndpointProfile: { type: "https_web" as const },
        },
      ].map((relationship): FederationRelationship => ({ ...relationship, trustDomainBundle: undefined })),
    );
    if (!relationships.ok || !relationships.value.every((item) => item.ok))
      throw new Error("seeding relationships failed");
    context = scmTestContext({
      config: scmSettings(TD, "demo", extraConfig),
      cluster,
      spire,
      federation: federationApi(clients.trustDomains),
    });
  });
  afterEach(async () => {
    spire.close();
    await fake.stop();
  });

  async function entries(): Promise<Entry[]> {
    const listed = await spire.listEntries();
    if (!listed.ok) throw listed.error;
    return listed.value;
  }

  it("plans exactly the entries, counts and statuses the resync then writes", async () => {
    const before = await entries();
    const relationshipsBefore = await context.federation.list();
    if (!relationshipsBefore.ok) throw relationshipsBefore.error;
    const plan = planClusterSpiffeId(
      {
        cluster: await readEntriesPassState(cluster, context.config),
        clusterFederatedTrustDomains: await readFederationPassResources(cluster, context.config),
        entries: before,
        relationships: relationshipsBefore.value,
        clusterDomain: "cluster.local",
      },
      context.config,
    );
    const writes = plan.entries;
    if (writes === undefined) throw new Error("no entries planned");
    expect(writes.plan.create.length + writes.plan.update.length + writes.plan.delete.length).toBeGreaterThan(
      3,
    );

    const result = await runFullPass(context);

    expect(result.ok).toBe(true);
    expect(result.summary).toMatchObject({
      entriesCreated: writes.plan.create.length,
      entriesUpdated: writes.plan.update.length,
      entriesDeleted: writes.plan.delete.length,
      entriesUnchanged: writes.plan.unchanged,
      entriesFailed: 0,
      renderFailures: plan.renderFailures.length,
      relationshipsCreated: plan.federation?.plan.create.length,
      relationshipsUpdated: plan.federation?.plan.update.length,
      relationshipsDeleted: plan.federation?.plan.delete.length,
      relationshipsFailed: 0,
    });
    const relationshipsAfter = await context.federation.list();
    if (!relationshipsAfter.ok) throw relationshipsAfter.error;
    const federation = plan.federation?.plan;
    const removed = new Set(federation?.delete.map((item) => item.trustDomain));
    const written = new Map(
      [...(federation?.create ?? []), ...(federation?.update ?? [])].map((item) => [item.trustDomain, item]),
    );
    const relationship = (item: {
      trustDomain: string;
      bundleEndpointUrl: string;
      bundleEndpointProfile: object;
    }) => JSON.stringify([item.trustDomain, item.bundleEndpointUrl, item.bundleEndpointProfile]);
    expect(relationshipsAfter.value.map(relationship).sort()).toEqual(
      [
        ...relationshipsBefore.value.filter(
          (item) => !removed.has(item.trustDomain) && !written.has(item.trustDomain),
        ),
        ...written.values(),
      ]
        .map(relationship)
        .sort(),
    );
    expect([
      federation?.create.length,
      federation?.update.length,
      federation?.delete.length,
      plan.federation?.unchanged,
    ]).toEqual([1, 1, 1, 1]);
    const deleted = new Set(writes.plan.delete.map((entry) => entry.id));
    const updated = new Map(writes.plan.update.map((item) => [item.entry.id, item.entry]));
    const expected = [
      ...before.filter((entry) => !deleted.has(entry.id)).map((entry) => updated.get(entry.id) ?? entry),
      ...writes.plan.create.map((item) => item.entry),
    ];
    const after = await entries();
    const withoutNewIds = (entry: Entry | (EntrySpec & { id?: string })) =>
      extraConfig === "" && !before.some((old) => old.id === entry.id) ? { ...entry, id: undefined } : entry;
    expect(after.map((entry) => comparable(withoutNewIds(entry))).sort()).toEqual(
      expected.map((entry) => comparable(withoutNewIds(entry))).sort(),
    );
    expect(cluster.statusWrites).toEqual(
      plan.statuses
        .filter((item) => item.changed)
        .map((item) => ({ resource: item.resource, name: item.name, status: item.status })),
    );
    expect(cluster.statusWrites.length).toBeGreaterThan(0);

    // Planned again against what the pass wrote: nothing left to do.
    const again = planClusterSpiffeId(
      {
        cluster: await readEntriesPassState(cluster, context.config),
        clusterFederatedTrustDomains: await readFederationPassResources(cluster, context.config),
        entries: after,
        relationships: relationshipsAfter.value,
        clusterDomain: "cluster.local",
      },
      context.config,
    );
    expect(again.entries?.plan).toMatchObject({ create: [], update: [], delete: [] });
    expect(again.federation?.plan).toMatchObject({ create: [], update: [], delete: [] });
  });
});
