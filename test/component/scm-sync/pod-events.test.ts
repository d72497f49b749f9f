/**
 * cluster-spiffeid mode's passes against the fake SPIRE server (which filters ListEntries by selectors as
 * SPIRE does and counts RPCs) and an in-memory cluster: an event for one pod reads only that pod's entries
 * however many SPIRE holds, a deleted pod's entries go only when no pod has its UID, and the full pass
 * writes what the scoped passes would and SCM's statuses.
 */
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResourceName } from "../../../lib/bridge/resources.js";
import type { KubeObjectJson } from "../../../lib/bridge/to-cloudevent.js";
import type { Entry, EntrySpec } from "../../../lib/planner/entry.js";
import { createReconcileMemo } from "../../../lib/reconcile/reconcile-memo.js";
import type { PodJson } from "../../../lib/scm/index.js";
import type { FederationApi, ScmSyncContext } from "../../../lib/scm-sync/context.js";
import { createScmEventQueue, reconcileScmHint } from "../../../lib/scm-sync/events.js";
import { runFullPass } from "../../../lib/scm-sync/full-pass.js";
import {
  FILTERED_LIST_LIMIT,
  reconcileNodeEvent,
  reconcilePodEvent,
} from "../../../lib/scm-sync/pod-scope.js";
import { createScmWatchCache } from "../../../lib/scm-sync/watch-cache.js";
import { createSpireClient, type EntryFilter, type SpireClient } from "../../../lib/spire/client.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { type FakeScmCluster, fakeScmCluster } from "../../fakes/scm-cluster.js";
import { scmSettings, scmTestContext } from "../../fakes/scm-context.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const TD = "example.org";
const CLUSTER = "demo";
const NODE_UID = "node-uid-1";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${NODE_UID}`;

const NO_FEDERATION: FederationApi = {
  list: async () => ({ ok: true, value: [] }),
  create: async () => ({ ok: true, value: [] }),
  update: async () => ({ ok: true, value: [] }),
  delete: async () => ({ ok: true, value: [] }),
};

function settings(extra = "") {
  return scmSettings(TD, CLUSTER, extra);
}

function pod(name: string, uid: string, labels: Record<string, string> = { app: "web" }): PodJson {
  return {
    metadata: { name, namespace: "apps", uid, labels, creationTimestamp: "2026-01-01T00:00:00Z" },
    spec: { nodeName: "node-1", serviceAccountName: name },
  };
}

function podEntry(uid: string, spiffeId: string): EntrySpec {
  return {
    spiffeId,
    parentId: PARENT,
    selectors: [{ type: "k8s", value: `pod-uid:${uid}` }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}

describe("cluster-spiffeid passes", () => {
  let fake: FakeSpireServer;
  let spire: SpireClient;
  let cluster: FakeScmCluster;
  let lists: EntryFilter[];
  let context: ScmSyncContext;

  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: TD });
    const client = createSpireClient({
      transport: createUnixSocketTransport(fake.socketPath),
      logger: pino({ level: "silent" }),
    });
    lists = [];
    spire = {
      ...client,
      listEntries(filter) {
        lists.push(filter ?? {});
        return client.listEntries(filter);
      },
    };
    cluster = fakeScmCluster();
    cluster.namespaces = [{ metadata: { name: "apps", labels: { team: "a" } } }];
    cluster.nodes = [{ metadata: { name: "node-1", uid: NODE_UID } }];
    cluster.resources.clusterspiffeids = [
      {
        metadata: { name: "web", uid: "cid-1", creationTimestamp: "2026-01-01T00:00:00Z" },
        spec: {
          spiffeIDTemplate:
            "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
          podSelector: { matchLabels: { app: "web" } },
        },
      },
    ];
    context = scmTestContext({ config: settings(), cluster, spire, federation: NO_FEDERATION });
  });
  afterEach(async () => {
    spire.close();
    await fake.stop();
  });

  /** An event queue with a pod memory; sends a Resource-mode update event carrying `object` (a pod of "apps"). */
  function rememberingQueue() {
    const queue = createScmEventQueue({
      ...context,
      podMemory: createReconcileMemo({ ttlMs: 60_000, maxKeys: 100, now: Date.now }),
    });
    return (object: PodJson) =>
      queue({
        action: "update",
        mode: "resource",
        apiVersion: "v1",
        kind: "Pod",
        namespace: "apps",
        name: object.metadata?.name ?? "",
        uid: object.metadata?.uid ?? "",
        object: { apiVersion: "v1", kind: "Pod", ...object } as Record<string, unknown>,
      });
  }

  async function entries(): Promise<Entry[]> {
    const listed = await spire.listEntries();
    if (!listed.ok) throw listed.error;
    return listed.value;
  }

  it("reads only the pod's own entries for a pod event, with 10,000 other entries in SPIRE", async () => {
    fake.seed(
      Array.from({ length: 10_000 }, (_, i) =>
        entrySpecToProto(podEntry(`other-${i}`, `spiffe://${TD}/ns/apps/sa/other-${i}`)),
      ),
    );
    cluster.pods = [pod("web-0", "uid-web-0")];
    const rpcsBefore = { ...fake.rpcCounts };

    const result = await reconcilePodEvent(context, { namespace: "apps", name: "web-0" });

    expect(result).toMatchObject({ ok: true, summary: { entriesCreated: 1, entriesDeleted: 0 } });
    expect(lists).toEqual([
      { selectors: { selectors: [{ type: "k8s", value: "pod-uid:uid-web-0" }], match: "any" } },
    ]);
    const rpcs = (method: string) => (fake.rpcCounts[method] ?? 0) - (rpcsBefore[method] ?? 0);
    expect(rpcs("ListEntries")).toBe(1);
    expect(rpcs("BatchCreateEntry")).toBe(1);
    expect(rpcs("BatchDeleteEntry")).toBe(0);
    // Kubernetes: the pod, its namespace and node, and the (few) custom resources; never every pod.
    expect(cluster.calls.get("listPods")).toBeUndefined();
    expect(cluster.calls.get("listPodUids")).toBeUndefined();
    const created = (await entries()).filter((entry) => entry.spiffeId.endsWith("/sa/web-0"));
    expect(created).toMatchObject([
      { parentId: PARENT, selectors: [{ type: "k8s", value: "pod-uid:uid-web-0" }] },
    ]);
  });

  it("reconciles the pods of concurrent Pod events together: one filtered list and one create batch for a burst", async () => {
    cluster.pods = Array.from({ length: 50 }, (_, i) => pod(`web-${i}`, `uid-web-${i}`));
    const queue = createScmEventQueue(context);
    const hint = (name: string) =>
      ({ action: "add", mode: "ref", apiVersion: "v1", kind: "Pod", namespace: "apps", name }) as const;

    const results = await Promise.all(cluster.pods.map((p) => queue(hint(p.metadata?.name ?? ""))));

    expect(results.every((result) => result.ok)).toBe(true);
    expect(lists).toHaveLength(1);
    expect(lists[0]?.selectors?.selectors).toHaveLength(50);
    expect(fake.rpcCounts.BatchCreateEntry).toBe(1);
    expect(await entries()).toHaveLength(50);
  });

  it("replaces the pod's entry when its identity changes, and leaves it when nothing did", async () => {
    cluster.pods = [pod("web-0", "uid-web-0")];
    await reconcilePodEvent(context, { namespace: "apps", name: "web-0" });
    const again = await reconcilePodEvent(context, { namespace: "apps", name: "web-0" });
    expect(again).toMatchObject({ ok: true, summary: { entriesCreated: 0, entriesUnchanged: 1 } });

    cluster.pods = [
      { ...pod("web-0", "uid-web-0"), spec: { nodeName: "node-1", serviceAccountName: "renamed" } },
    ];
    const changed = await reconcilePodEvent(context, { namespace: "apps", name: "web-0" });
    expect(changed).toMatchObject({ ok: true, summary: { entriesCreated: 1, entriesDeleted: 1 } });
    expect((await entries()).map((entry) => entry.spiffeId)).toEqual([`spiffe://${TD}/ns/apps/sa/renamed`]);
  });

  it("deletes a deleted pod's entries by the UID its event carries, once no pod has that UID", async () => {
    cluster.pods = [pod("web-0", "uid-web-0"), pod("web-1", "uid-web-1")];
    await runFullPass(context);
    cluster.pods = [pod("web-1", "uid-web-1")];
    lists.length = 0;

    const gone = await reconcilePodEvent(context, { namespace: "apps", name: "web-0", uid: "uid-web-0" });

    expect(gone).toMatchObject({ ok: true, summary: { entriesDeleted: 1 } });
    // The UID's entries are listed once: to see it has some, and then to plan their deletion.
    expect(lists).toEqual([
      { selectors: { selectors: [{ type: "k8s", value: "pod-uid:uid-web-0" }], match: "any" } },
    ]);
    expect((await entries()).map((entry) => entry.spiffeId)).toEqual([`spiffe://${TD}/ns/apps/sa/web-1`]);
  });

  it("changes nothing for an event that names another living pod's UID", async () => {
    cluster.pods = [pod("web-0", "uid-web-0"), pod("web-1", "uid-web-1")];
    await runFullPass(context);

    const forged = await reconcilePodEvent(context, { namespace: "apps", name: "gone", uid: "uid-web-1" });

    expect(forged).toMatchObject({ ok: true, summary: { entriesDeleted: 0, entriesCreated: 0 } });
    expect(await entries()).toHaveLength(2);
  });

  it("re-parents the pods of a node whose UID changed (a node deleted and re-registered)", async () => {
    cluster.pods = [pod("web-0", "uid-web-0"), pod("web-1", "uid-web-1")];
    await runFullPass(context);
    cluster.nodes = [{ metadata: { name: "node-1", uid: "node-uid-2" } }];

    const result = await reconcileNodeEvent(context, "node-1");

    expect(result).toMatchObject({ ok: true, summary: { entriesCreated: 2, entriesDeleted: 2 } });
    expect(new Set((await entries()).map((entry) => entry.parentId))).toEqual(
      new Set([`spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/node-uid-2`]),
    );
  });

  it("reads nothing from the API server for Pod events once a watch cache (serve --watch) holds the collections", async () => {
    const cache = createScmWatchCache();
    const watched = (objects: readonly object[]) => objects as KubeObjectJson[];
    const listWhole = (resource: ResourceName, objects: readonly object[]) => {
      const list = cache.startList(resource);
      list.page(watched(objects));
      list.done();
    };
    const pods = Array.from({ length: 20 }, (_, i) => pod(`web-${i}`, `uid-web-${i}`));
    listWhole("pods", pods);
    listWhole("namespaces", cluster.namespaces);
    listWhole("nodes", cluster.nodes);
    listWhole("clusterspiffeids", cluster.resources.clusterspiffeids);
    listWhole("clusterstaticentries", []);
    const cached = scmTestContext({
      config: settings(),
      cluster: cache.reads(cluster),
      spire,
      federation: NO_FEDERATION,
    });
    const queue = createScmEventQueue(cached);
    const hint = (name: string, action: "add" | "delete", uid?: string) =>
      ({ action, mode: "resource", apiVersion: "v1", kind: "Pod", namespace: "apps", name, uid }) as const;

    const added = await Promise.all(pods.map((p) => queue(hint(p.metadata?.name ?? "", "add"))));
    expect(added.every((result) => result.ok)).toBe(true);
    expect(await entries()).toHaveLength(20);

    // A deleted pod: the bridge applies the delete to the cache before it delivers the event.
    cache.apply("pods", "delete", watched(pods)[0] as KubeObjectJson);
    const gone = await queue(hint("web-0", "delete", "uid-web-0"));
    expect(gone).toMatchObject({ ok: true, summary: { entriesDeleted: 1 } });
    expect(await entries()).toHaveLength(19);
    expect([...cluster.calls]).toEqual([]);
  });

  it("skips a Pod update that changed only the status since its last pass: no Kubernetes read, no SPIRE call", async () => {
    const update = rememberingQueue();
    const web0 = pod("web-0", "uid-web-0");
    cluster.pods = [web0];
    expect(await update(web0)).toMatchObject({ ok: true, summary: { entriesCreated: 1 } });
    const rpcs = () => Object.values(fake.rpcCounts).reduce((sum, count) => sum + count, 0);
    const reads = () => [...cluster.calls.values()].reduce((sum, count) => sum + count, 0);
    const [rpcsBefore, readsBefore] = [rpcs(), reads()];

    // The kubelet's status update: a new resourceVersion and status, nothing a template reads.
    const running = {
      ...web0,
      metadata: { ...web0.metadata, resourceVersion: "9", managedFields: [{ manager: "kubelet" }] },
      status: { phase: "Running" },
    };
    expect(await update(running)).toMatchObject({ ok: true, summary: { entriesCreated: 0 } });
    expect([rpcs(), reads()]).toEqual([rpcsBefore, readsBefore]);

    // A change a template reads runs the pass, from the API server's object (not the event's).
    const renamed = { ...web0, spec: { nodeName: "node-1", serviceAccountName: "renamed" } };
    cluster.pods = [renamed];
    expect(await update(renamed)).toMatchObject({
      ok: true,
      summary: { entriesCreated: 1, entriesDeleted: 1 },
    });
    expect(reads()).toBeGreaterThan(readsBefore);
    expect((await entries()).map((entry) => entry.spiffeId)).toEqual([`spiffe://${TD}/ns/apps/sa/renamed`]);
  });

  it("does not skip Pod updates when a template reads the resourceVersion the digest leaves out", async () => {
    const spec = cluster.resources.clusterspiffeids[0]?.spec as Record<string, unknown>;
    cluster.resources.clusterspiffeids = [
      {
        metadata: { name: "web", uid: "cid-1", creationTimestamp: "2026-01-01T00:00:00Z" },
        spec: { ...spec, spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/v/{{ .PodMeta.ResourceVersion }}" },
      },
    ];
    const update = rememberingQueue();
    const hint = (resourceVersion: string) => {
      const web0 = pod("web-0", "uid-web-0");
      const object = { ...web0, metadata: { ...web0.metadata, resourceVersion } };
      cluster.pods = [object];
      return update(object);
    };
    await hint("1");
    expect(await hint("2")).toMatchObject({ ok: true, summary: { entriesCreated: 1, entriesDeleted: 1 } });
    expect((await entries()).map((entry) => entry.spiffeId)).toEqual([`spiffe://${TD}/v/2`]);
  });

  it("reads every entry once, not filtered lists, for an event concerning more pods than FILTERED_LIST_LIMIT", async () => {
    cluster.pods = Array.from({ length: FILTERED_LIST_LIMIT + 1 }, (_, i) => pod(`web-${i}`, `uid-web-${i}`));

    const result = await reconcileNodeEvent(context, "node-1");

    expect(result).toMatchObject({ ok: true, summary: { entriesCreated: FILTERED_LIST_LIMIT + 1 } });
    expect(lists).toEqual([{}]);
  });

  it("runs no pass for a ClusterSPIFFEID update that changed only its status, and the full pass for a spec change", async () => {
    const resource = cluster.resources.clusterspiffeids[0] as { metadata: Record<string, unknown> };
    resource.metadata.generation = 1;
    cluster.pods = [pod("web-0", "uid-web-0")];
    await runFullPass(context);
    const update = {
      action: "update",
      mode: "ref",
      apiVersion: "spire.spiffe.io/v1alpha1",
      kind: "ClusterSPIFFEID",
      name: "web",
    } as const;
    lists.length = 0;

    const statusOnly = await reconcileScmHint(context, update);
    expect(statusOnly).toMatchObject({ ok: true, summary: { entriesUnchanged: 0 } });
    expect(lists).toEqual([]);

    resource.metadata.generation = 2;
    const specChange = await reconcileScmHint(context, update);
    expect(specChange).toMatchObject({ ok: true, summary: { entriesUnchanged: 1 } });
    expect(lists).toEqual([{}]);
  });

  it("writes SCM's status.stats in the full pass, and nothing on a pass that changes nothing", async () => {
    cluster.pods = [pod("web-0", "uid-web-0"), pod("db-0", "uid-db-0", { app: "db" })];
    const first = await runFullPass(context);
    expect(first).toMatchObject({ ok: true, summary: { entriesCreated: 1, statusWrites: 1 } });
    expect(cluster.statusWrites).toEqual([
      {
        resource: "clusterspiffeids",
        name: "web",
        status: {
          stats: {
            namespacesSelected: 1,
            namespacesIgnored: 0,
            podsSelected: 1,
            podEntryRenderFailures: 0,
            entriesMasked: 0,
            entriesToSet: 1,
            entryFailures: 0,
          },
        },
      },
    ]);
    const second = await runFullPass(context);
    expect(second).toMatchObject({
      ok: true,
      summary: { entriesCreated: 0, entriesUnchanged: 1, statusWrites: 0 },
    });
  });

  it("with entry_id_prefix, creates prefixed IDs and never touches entries without the prefix", async () => {
    context = { ...context, config: settings("entryIDPrefix: reg") };
    fake.seed([entrySpecToProto(podEntry("uid-web-0", `spiffe://${TD}/hand-made`), "hand-made-entry")]);
    cluster.pods = [pod("web-0", "uid-web-0")];

    await reconcilePodEvent(context, { namespace: "apps", name: "web-0" });
    await runFullPass(context);

    expect((await entries()).map((entry) => entry.id).sort()).toEqual([
      "hand-made-entry",
      "reg.00000000-0000-4000-8000-000000000001",
    ]);
  });
});
