/**
 * cluster-spiffeid mode's watch cache: reads go to the API server until a collection has been listed whole,
 * then come from what the watches saw, trimmed as a pass holds objects; the full pass's unscoped lists and the
 * status writes always go to the API server.
 */
import { describe, expect, it } from "vitest";
import type { ResourceName } from "../../../lib/bridge/resources.js";
import type { KubeObjectJson } from "../../../lib/bridge/to-cloudevent.js";
import { createScmWatchCache, type ScmWatchCache } from "../../../lib/scm-sync/watch-cache.js";
import { fakeScmCluster } from "../../fakes/scm-cluster.js";

function pod(namespace: string, name: string, nodeName = "node-1", labels: Record<string, string> = {}) {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, uid: `uid-${name}`, labels, managedFields: [{ manager: "kubectl" }] },
    spec: { nodeName, serviceAccountName: name },
    status: { phase: "Running" },
  };
}

const clusterSpiffeId = (name: string, generation = 1) => ({
  apiVersion: "spire.spiffe.io/v1alpha1",
  kind: "ClusterSPIFFEID",
  metadata: { name, uid: `uid-${name}`, generation, managedFields: [{}] },
  spec: { spiffeIDTemplate: "spiffe://example.org/{{ .PodMeta.Name }}" },
  status: { stats: { namespacesSelected: 1 } },
});

function slice(namespace: string, name: string, service: string, podUids: string[]) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name, namespace, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: podUids.map((uid) => ({
      addresses: ["10.0.0.1"],
      conditions: { ready: true },
      targetRef: { kind: "Pod", uid },
    })),
  };
}

/** A cluster-scoped object with `metadata` (the bridge's type names only name and namespace). */
const clusterScoped = (metadata: Record<string, unknown>) => ({ metadata }) as KubeObjectJson;

function listWhole(cache: ScmWatchCache, resource: ResourceName, items: readonly object[]): void {
  const list = cache.startList(resource);
  list.page(items as KubeObjectJson[]);
  list.done();
}

describe("createScmWatchCache", () => {
  it("reads from the API server until a collection is listed whole, then from the watches", async () => {
    const api = fakeScmCluster();
    api.pods.push({ metadata: { name: "a", namespace: "apps", uid: "from-api" }, spec: {} });
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    expect((await reads.getPod("apps", "a"))?.metadata?.uid).toBe("from-api");

    const list = cache.startList("pods");
    list.page([pod("apps", "a")]);
    // A list part-way: still the API server's answer.
    expect((await reads.getPod("apps", "a"))?.metadata?.uid).toBe("from-api");
    list.done();
    expect((await reads.getPod("apps", "a"))?.metadata?.uid).toBe("uid-a");
    expect(api.calls.get("getPod")).toBe(2);

    cache.apply("pods", "add", pod("apps", "b"));
    expect((await reads.getPod("apps", "b"))?.metadata?.uid).toBe("uid-b");
    cache.apply("pods", "delete", pod("apps", "a"));
    expect(await reads.getPod("apps", "a")).toBeUndefined();
    expect(api.calls.get("getPod")).toBe(2);
  });

  it("keeps metadata without managedFields and the spec; custom resources keep their status", async () => {
    const cache = createScmWatchCache();
    const reads = cache.reads(fakeScmCluster());
    listWhole(cache, "pods", [pod("apps", "a", "node-1", { app: "web" })]);
    listWhole(cache, "clusterspiffeids", [clusterSpiffeId("web")]);
    expect(await reads.getPod("apps", "a")).toEqual({
      metadata: { name: "a", namespace: "apps", uid: "uid-a", labels: { app: "web" } },
      spec: { nodeName: "node-1", serviceAccountName: "a" },
    });
    expect(await reads.listCustomResources("clusterspiffeids")).toEqual([
      {
        metadata: { name: "web", uid: "uid-web", generation: 1 },
        spec: { spiffeIDTemplate: "spiffe://example.org/{{ .PodMeta.Name }}" },
        status: { stats: { namespacesSelected: 1 } },
      },
    ]);
  });

  it("answers the custom resources, namespaces and nodes, and a watched update replaces an object", async () => {
    const api = fakeScmCluster();
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    listWhole(cache, "clusterspiffeids", [clusterSpiffeId("b"), clusterSpiffeId("a")]);
    listWhole(cache, "namespaces", [clusterScoped({ name: "apps", labels: { team: "x" } })]);
    listWhole(cache, "nodes", [clusterScoped({ name: "node-1", uid: "n1" })]);
    cache.apply("clusterspiffeids", "update", clusterSpiffeId("a", 2));
    cache.apply("namespaces", "update", clusterScoped({ name: "apps", labels: { team: "y" } }));

    const listed = await reads.listCustomResources("clusterspiffeids");
    expect(listed.map((resource) => [resource.metadata?.name, resource.metadata?.generation])).toEqual([
      ["a", 2],
      ["b", 1],
    ]);
    expect((await reads.getCustomResource("clusterspiffeids", "b"))?.metadata?.uid).toBe("uid-b");
    expect((await reads.getNamespace("apps"))?.metadata?.labels).toEqual({ team: "y" });
    expect((await reads.getNode("node-1"))?.metadata?.uid).toBe("n1");
    expect(await reads.getNode("node-2")).toBeUndefined();
    // ClusterStaticEntries were never listed: the API server answers.
    expect(await reads.listCustomResources("clusterstaticentries")).toEqual([]);
    expect([...api.calls]).toEqual([["listCustomResources", 1]]);
  });

  it("lists one namespace's or one node's pods in the API server's order; every pod still from the API", async () => {
    const api = fakeScmCluster();
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    listWhole(cache, "pods", [
      pod("web", "c", "node-2"),
      pod("apps", "b", "node-1"),
      pod("apps", "a", "node-2"),
    ]);
    const names = (pods: readonly { metadata?: { namespace?: string; name?: string } }[]) =>
      pods.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`);
    expect(names(await reads.listPods({ namespace: "apps" }))).toEqual(["apps/a", "apps/b"]);
    expect(names(await reads.listPods({ nodeName: "node-2" }))).toEqual(["apps/a", "web/c"]);
    expect(names(await reads.listPods({ namespace: "none" }))).toEqual([]);
    expect(api.calls.get("listPods")).toBeUndefined();
    await reads.listPods();
    expect(api.calls.get("listPods")).toBe(1);
  });

  it("gives the UIDs of the pods it holds: a deleted pod's UID is gone once its delete was seen", async () => {
    const api = fakeScmCluster();
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    listWhole(cache, "pods", [pod("apps", "a"), pod("apps", "b")]);
    expect(await reads.listPodUids()).toEqual(new Set(["uid-a", "uid-b"]));
    cache.apply("pods", "delete", pod("apps", "a"));
    expect(await reads.listPodUids()).toEqual(new Set(["uid-b"]));
    expect(api.calls.get("listPodUids")).toBeUndefined();
  });

  it("finds one namespace's Services from the EndpointSlices it holds; all namespaces from the API", async () => {
    const api = fakeScmCluster();
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    listWhole(cache, "endpointslices", [
      slice("apps", "web-1", "web", ["uid-a"]),
      slice("apps", "api-1", "api", ["uid-a", "uid-b"]),
      slice("other", "web-1", "web", ["uid-c"]),
    ]);
    expect(await reads.servicesByPodUid("apps")).toEqual(
      new Map([
        [
          "uid-a",
          [
            { name: "api", namespace: "apps" },
            { name: "web", namespace: "apps" },
          ],
        ],
        ["uid-b", [{ name: "api", namespace: "apps" }]],
      ]),
    );
    cache.apply("endpointslices", "delete", slice("apps", "api-1", "api", []));
    expect(await reads.servicesByPodUid("apps")).toEqual(
      new Map([["uid-a", [{ name: "web", namespace: "apps" }]]]),
    );
    expect(api.calls.get("servicesByPodUid")).toBeUndefined();
    await reads.servicesByPodUid();
    expect(api.calls.get("servicesByPodUid")).toBe(1);
  });

  it("serves the previous state during a relist and replaces it whole at the relist's end", async () => {
    const cache = createScmWatchCache();
    const reads = cache.reads(fakeScmCluster());
    listWhole(cache, "pods", [pod("apps", "a"), pod("apps", "b")]);
    const relist = cache.startList("pods");
    relist.page([pod("apps", "b")]);
    expect(await reads.getPod("apps", "a")).toBeDefined();
    relist.done();
    expect(await reads.getPod("apps", "a")).toBeUndefined();
    expect(await reads.listPodUids()).toEqual(new Set(["uid-b"]));
  });

  it("passes status writes to the API server", async () => {
    const api = fakeScmCluster();
    const cache = createScmWatchCache();
    const reads = cache.reads(api);
    listWhole(cache, "clusterspiffeids", [clusterSpiffeId("web")]);
    await reads.writeStatus("clusterspiffeids", "web", { stats: {} });
    expect(api.statusWrites).toEqual([{ resource: "clusterspiffeids", name: "web", status: { stats: {} } }]);
  });
});
