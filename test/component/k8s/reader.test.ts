import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import { createClusterReader } from "../../../lib/k8s/reader.js";
import { type FakeKubeApi, startFakeKubeApi } from "../../fakes/kube-api-server.js";

describe("cluster reader", () => {
  let api: FakeKubeApi;
  beforeAll(async () => {
    api = await startFakeKubeApi();
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
    api.failures.clear();
    api.pods = Array.from({ length: 7 }, (_, i) => ({
      metadata: { name: `p${i}`, namespace: i % 2 ? "a" : "b" },
      spec: { nodeName: i < 3 ? "n1" : "n2" },
    }));
    api.nodes = [{ metadata: { name: "n1" } }];
  });

  it("lists every page of pods, following the continue token", async () => {
    const reader = createClusterReader(api.client, { pageSize: 3 });
    const pods = await reader.listPods();
    expect(pods.map((p) => p.metadata?.name)).toEqual(["p0", "p1", "p2", "p3", "p4", "p5", "p6"]);
    expect(api.requests).toEqual([
      "GET /api/v1/pods?limit=3",
      "GET /api/v1/pods?continue=3&limit=3",
      "GET /api/v1/pods?continue=6&limit=3",
    ]);
  });

  it("lists the pods of one node by field selector", async () => {
    const pods = await createClusterReader(api.client).listPodsOnNode("n1");
    expect(pods.map((p) => p.metadata?.name)).toEqual(["p0", "p1", "p2"]);
  });

  it("gets an object, and answers undefined for one that does not exist", async () => {
    const reader = createClusterReader(api.client);
    expect((await reader.getPod("a", "p1"))?.spec?.nodeName).toBe("n1");
    expect(await reader.getPod("b", "p1")).toBeUndefined();
    expect((await reader.getNode("n1"))?.metadata?.name).toBe("n1");
    expect(await reader.getEndpoints("a", "svc")).toBeUndefined();
  });

  it("reads EndpointSlices: one by name, a namespace's, and a Service's by label selector", async () => {
    const slice = (namespace: string, name: string, service?: string) => ({
      metadata: {
        namespace,
        name,
        labels: {
          "endpointslice.kubernetes.io/managed-by": "controller",
          ...(service ? { "kubernetes.io/service-name": service } : {}),
        },
      },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "p0" } },
      ],
    });
    api.endpointslices = [
      slice("a", "web-1", "web"),
      slice("a", "web-2", "web"),
      slice("a", "api-1", "api"),
      slice("b", "web-3", "web"),
      slice("a", "loose"),
    ];
    const reader = createClusterReader(api.client);
    const names = (slices: { metadata?: { name?: string } }[]) => slices.map((s) => s.metadata?.name);

    expect(await reader.getEndpointSlice("a", "web-1")).toEqual({
      metadata: { namespace: "a", name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
      addressType: "IPv4",
      endpoints: [
        { addresses: ["10.0.0.1"], conditions: { ready: true }, targetRef: { kind: "Pod", name: "p0" } },
      ],
    });
    expect(await reader.getEndpointSlice("b", "web-1")).toBeUndefined();
    expect(names(await reader.listEndpointSlicesOfService("a", "web"))).toEqual(["web-1", "web-2"]);
    expect(names(await reader.listEndpointSlicesInNamespace("a"))).toEqual([
      "web-1",
      "web-2",
      "api-1",
      "loose",
    ]);
    expect(names(await reader.listEndpointSlices())).toHaveLength(5);
    expect(api.requests).toEqual([
      "GET /apis/discovery.k8s.io/v1/namespaces/a/endpointslices/web-1",
      "GET /apis/discovery.k8s.io/v1/namespaces/b/endpointslices/web-1",
      "GET /apis/discovery.k8s.io/v1/namespaces/a/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb&limit=500",
      "GET /apis/discovery.k8s.io/v1/namespaces/a/endpointslices?limit=500",
      "GET /apis/discovery.k8s.io/v1/endpointslices?limit=500",
    ]);
  });

  it("names the verb and resource when RBAC forbids a call", async () => {
    api.failures.set("/api/v1/pods", 403);
    const error = await createClusterReader(api.client)
      .listPods()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ kind: "forbidden", retryable: false });
    expect((error as Error).message).toBe(
      'forbidden: cannot list pods (all namespaces): the registrar\'s service account needs RBAC permission "list" on "pods" (injected 403)',
    );
  });

  it("marks server errors and refused connections as retryable", async () => {
    api.failures.set("/api/v1/nodes", 503);
    const unavailable = await createClusterReader(api.client)
      .getNode("n1")
      .catch((e: unknown) => e);
    expect(unavailable).toMatchObject({ kind: "unavailable", retryable: true });
    expect((unavailable as Error).message).toContain(
      'API server unavailable: cannot get nodes "n1": HTTP 503',
    );
  });
});
