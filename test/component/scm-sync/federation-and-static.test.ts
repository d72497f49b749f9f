/**
 * cluster-spiffeid mode's federation pass and ClusterStaticEntries against the fake SPIRE server (which
 * serves the TrustDomain API by the real server's rules): relationships follow the ClusterFederatedTrustDomains,
 * and a changed static entry is rewritten whole (no update mask), store_svid included.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ScmSyncContext } from "../../../lib/scm-sync/context.js";
import { federationApi } from "../../../lib/scm-sync/federation-api.js";
import { runFullPass } from "../../../lib/scm-sync/full-pass.js";
import type { SpireClient } from "../../../lib/spire/client.js";
import { type FakeScmCluster, fakeScmCluster } from "../../fakes/scm-cluster.js";
import { scmSettings, scmSpireClients, scmTestContext } from "../../fakes/scm-context.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const TD = "example.org";

describe("cluster-spiffeid federation and static entries", () => {
  let fake: FakeSpireServer;
  let spire: SpireClient;
  let cluster: FakeScmCluster;
  let context: ScmSyncContext;

  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: TD });
    const clients = scmSpireClients(fake.socketPath);
    spire = clients.spire;
    cluster = fakeScmCluster();
    context = scmTestContext({
      config: scmSettings(TD, "demo"),
      cluster,
      spire,
      federation: federationApi(clients.trustDomains),
    });
  });
  afterEach(async () => {
    spire.close();
    await fake.stop();
  });

  function trustDomain(name: string, created: string, spec: Record<string, unknown>) {
    return { metadata: { name, uid: `uid-${name}`, creationTimestamp: created }, spec };
  }

  it("creates, updates and deletes relationships as the ClusterFederatedTrustDomains change", async () => {
    cluster.resources.clusterfederatedtrustdomains = [
      trustDomain("a", "2026-01-01T00:00:00Z", {
        trustDomain: "a.test",
        bundleEndpointURL: "https://a.test/bundle",
        bundleEndpointProfile: { type: "https_web" },
      }),
      trustDomain("b", "2026-01-02T00:00:00Z", {
        trustDomain: "b.test",
        bundleEndpointURL: "https://b.test:8443",
        bundleEndpointProfile: { type: "https_spiffe", endpointSPIFFEID: "spiffe://b.test/spire/server" },
      }),
      // A later claim of a.test is ignored.
      trustDomain("a-again", "2026-01-03T00:00:00Z", {
        trustDomain: "a.test",
        bundleEndpointURL: "https://elsewhere.test",
        bundleEndpointProfile: { type: "https_web" },
      }),
    ];
    const first = await runFullPass(context, { entries: false, federation: true });
    expect(first).toMatchObject({ ok: true, summary: { relationshipsCreated: 2 } });

    cluster.resources.clusterfederatedtrustdomains = [
      trustDomain("a", "2026-01-01T00:00:00Z", {
        trustDomain: "a.test",
        bundleEndpointURL: "https://a.test/moved",
        bundleEndpointProfile: { type: "https_web" },
      }),
    ];
    const second = await runFullPass(context, { entries: false, federation: true });
    expect(second).toMatchObject({ ok: true, summary: { relationshipsUpdated: 1, relationshipsDeleted: 1 } });

    const listed = await context.federation.list();
    if (!listed.ok) throw listed.error;
    expect(listed.value).toMatchObject([
      {
        trustDomain: "a.test",
        bundleEndpointUrl: "https://a.test/moved",
        bundleEndpointProfile: { type: "https_web" },
      },
    ]);
  });

  it("rewrites a changed ClusterStaticEntry whole, store_svid included, and sets its status", async () => {
    const entry = (storeSVID: boolean) => ({
      metadata: { name: "db", uid: "uid-db", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: {
        spiffeID: `spiffe://${TD}/db`,
        parentID: `spiffe://${TD}/spire/agent/x`,
        selectors: ["unix:uid:1000"],
        storeSVID,
      },
    });
    cluster.resources.clusterstaticentries = [entry(true)];
    await runFullPass(context, { entries: true, federation: false });
    cluster.resources.clusterstaticentries = [
      { ...entry(false), status: cluster.resources.clusterstaticentries[0]?.status },
    ];

    const changed = await runFullPass(context, { entries: true, federation: false });

    expect(changed).toMatchObject({ ok: true, summary: { entriesUpdated: 1 } });
    const listed = await spire.listEntries();
    if (!listed.ok) throw listed.error;
    expect(listed.value).toMatchObject([{ spiffeId: `spiffe://${TD}/db` }]);
    expect(listed.value[0]?.storeSvid).toBeUndefined();
    expect(fake.rpcCounts.BatchUpdateEntry).toBe(1);
    expect(fake.requests("BatchUpdateEntry")[0]?.inputMask).toBeUndefined();
    expect(cluster.statusWrites.map((write) => write.status)).toEqual([
      { rendered: true, masked: false, set: true },
      { rendered: true, masked: false, set: false },
    ]);
  });
});
