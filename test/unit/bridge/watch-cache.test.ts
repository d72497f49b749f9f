import { describe, expect, it } from "vitest";
import type { ResourceName } from "../../../lib/bridge/resources.js";
import type { KubeObjectJson } from "../../../lib/bridge/to-cloudevent.js";
import { createWatchCache, type WatchCache } from "../../../lib/bridge/watch-cache.js";
import { createFakeCluster } from "../../fakes/cluster-reader.js";

const pod = (name: string, serviceAccountName = "default", extra: Record<string, unknown> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "ns", uid: `uid-${name}`, resourceVersion: "7", managedFields: [{}] },
  spec: { nodeName: "n1", serviceAccountName, containers: [{ name: "c", image: "i" }] },
  status: { phase: "Running", podIP: "10.0.0.1" },
  ...extra,
});

/** One complete list of `resource`, in one page. */
function listWhole(cache: WatchCache, resource: ResourceName, items: readonly KubeObjectJson[]): void {
  const list = cache.startList(resource);
  list.page(items);
  list.done();
}

describe("createWatchCache", () => {
  it("reads from the API until a collection is listed, then from the watched state", async () => {
    const api = createFakeCluster();
    api.putPod({ metadata: { name: "p", namespace: "ns" }, spec: { serviceAccountName: "from-api" } });
    const cache = createWatchCache();
    const reader = cache.reader(api);
    expect((await reader.getPod("ns", "p"))?.spec?.serviceAccountName).toBe("from-api");

    listWhole(cache, "pods", [pod("p", "listed")]);
    expect((await reader.getPod("ns", "p"))?.spec?.serviceAccountName).toBe("listed");
    cache.apply("pods", "update", pod("p", "watched"));
    expect((await reader.getPod("ns", "p"))?.spec?.serviceAccountName).toBe("watched");
    cache.apply("pods", "delete", pod("p", "watched"));
    expect(await reader.getPod("ns", "p")).toBeUndefined();
    // Nodes were never listed: still the API's answer.
    api.putNode({ metadata: { name: "n1", uid: "u" } });
    expect(await reader.getNode("n1")).toEqual({ metadata: { name: "n1", uid: "u" } });
  });

  it("keeps only the planner's fields, and a relist replaces the whole collection", async () => {
    const cache = createWatchCache();
    const reader = cache.reader(createFakeCluster());
    listWhole(cache, "pods", [pod("a"), pod("b")]);
    expect(await reader.getPod("ns", "a")).toEqual({
      metadata: { name: "a", namespace: "ns", uid: "uid-a", labels: undefined, annotations: undefined },
      spec: { nodeName: "n1", serviceAccountName: "default", hostname: undefined, subdomain: undefined },
      status: { phase: "Running", podIP: "10.0.0.1", podIPs: undefined },
    });
    listWhole(cache, "pods", [pod("b")]);
    expect(await reader.getPod("ns", "a")).toBeUndefined();
    expect(await reader.getPod("ns", "b")).toBeDefined();
  });

  it("keeps a list's pages as views as they arrive, and reads from the API until the list is whole", async () => {
    const api = createFakeCluster();
    api.putPod({ metadata: { name: "a", namespace: "ns" }, spec: { serviceAccountName: "from-api" } });
    const cache = createWatchCache();
    const reader = cache.reader(api);
    const list = cache.startList("pods");
    list.page([pod("a", "listed")]);
    expect((await reader.getPod("ns", "a"))?.spec?.serviceAccountName).toBe("from-api");
    list.page([pod("b", "listed")]);
    expect(await reader.getPod("ns", "b")).toBeUndefined();
    list.done();
    expect((await reader.getPod("ns", "a"))?.spec?.serviceAccountName).toBe("listed");
    // Views, not the listed objects: no managedFields, no containers.
    expect(await reader.getPod("ns", "b")).toEqual({
      metadata: { name: "b", namespace: "ns", uid: "uid-b", labels: undefined, annotations: undefined },
      spec: { nodeName: "n1", serviceAccountName: "listed", hostname: undefined, subdomain: undefined },
      status: { phase: "Running", podIP: "10.0.0.1", podIPs: undefined },
    });
  });

  it("serves the previous state during a relist and replaces it at once when the relist is whole", async () => {
    const cache = createWatchCache();
    const reader = cache.reader(createFakeCluster());
    listWhole(cache, "pods", [pod("a"), pod("b")]);
    const relist = cache.startList("pods");
    relist.page([pod("b", "relisted")]);
    relist.page([pod("c", "relisted")]);
    expect((await reader.getPod("ns", "a"))?.spec?.serviceAccountName).toBe("default");
    expect((await reader.getPod("ns", "b"))?.spec?.serviceAccountName).toBe("default");
    expect(await reader.getPod("ns", "c")).toBeUndefined();
    relist.done();
    expect(await reader.getPod("ns", "a")).toBeUndefined();
    expect((await reader.getPod("ns", "b"))?.spec?.serviceAccountName).toBe("relisted");
    expect((await reader.getPod("ns", "c"))?.spec?.serviceAccountName).toBe("relisted");
  });

  it("changes nothing for a list that fails part-way", async () => {
    const api = createFakeCluster();
    api.putNode({ metadata: { name: "n1", uid: "from-api" } });
    const cache = createWatchCache();
    const reader = cache.reader(api);
    const node = (uid: string) => ({ kind: "Node", metadata: { name: "n1", uid } });
    cache.startList("nodes").page([node("half-listed")]);
    expect((await reader.getNode("n1"))?.metadata?.uid).toBe("from-api");

    listWhole(cache, "nodes", [node("listed")]);
    cache.startList("nodes").page([node("half-relisted")]);
    expect((await reader.getNode("n1"))?.metadata?.uid).toBe("listed");
  });

  it("answers a slice, a namespace's and a Service's EndpointSlices from the cache once they are listed", async () => {
    const api = createFakeCluster();
    const cache = createWatchCache();
    const reader = cache.reader(api);
    const slice = (name: string, namespace: string, service?: string) => ({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name,
        namespace,
        resourceVersion: "3",
        labels: {
          "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
          ...(service ? { "kubernetes.io/service-name": service } : {}),
        },
      },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.1"], conditions: { ready: true, serving: true, terminating: false } },
      ],
      ports: [{ name: "http", port: 80, protocol: "TCP" }],
    });
    api.putEndpointSlice({ metadata: { name: "web-1", namespace: "ns" } });
    expect(await reader.getEndpointSlice("ns", "web-1")).toEqual({
      metadata: { name: "web-1", namespace: "ns" },
    });

    listWhole(cache, "endpointslices", [
      slice("web-1", "ns", "web"),
      slice("api-1", "ns", "api"),
      slice("web-2", "other", "web"),
    ]);
    expect(await reader.getEndpointSlice("ns", "web-1")).toEqual({
      metadata: { name: "web-1", namespace: "ns", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], conditions: { ready: true, terminating: false } }],
    });
    cache.apply("endpointslices", "add", slice("loose", "ns"));
    const names = (slices: { metadata?: { name?: string } }[]) => slices.map((s) => s.metadata?.name);
    expect(names(await reader.listEndpointSlicesInNamespace("ns"))).toEqual(["web-1", "api-1", "loose"]);
    expect(names(await reader.listEndpointSlicesOfService("ns", "web"))).toEqual(["web-1"]);
    cache.apply("endpointslices", "delete", slice("web-1", "ns", "web"));
    expect(await reader.getEndpointSlice("ns", "web-1")).toBeUndefined();
    expect(await reader.listEndpointSlicesOfService("ns", "web")).toEqual([]);
  });

  it("answers one namespace's Endpoints from the cache, and lists everything else from the API", async () => {
    const api = createFakeCluster();
    api.putPod({ metadata: { name: "only-in-api", namespace: "ns" } });
    const cache = createWatchCache();
    const reader = cache.reader(api);
    listWhole(cache, "endpoints", [
      { metadata: { name: "web", namespace: "ns" }, subsets: [] },
      { metadata: { name: "db", namespace: "other" }, subsets: [] },
    ]);
    expect((await reader.listEndpointsInNamespace("ns")).map((e) => e.metadata?.name)).toEqual(["web"]);
    listWhole(cache, "pods", []);
    expect((await reader.listPods()).map((p) => p.metadata?.name)).toEqual(["only-in-api"]);
  });
});
