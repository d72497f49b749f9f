import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createClusterReader } from "../../../lib/k8s/reader.js";
import { serviceEndpointsReader } from "../../../lib/k8s/service-endpoints.js";
import { type FakeKubeApi, startFakeKubeApi } from "../../fakes/kube-api-server.js";

const target = (name: string, namespace = "a") => ({ kind: "Pod", namespace, name, uid: `uid-${name}` });
const sliceEndpoint = (ip: string, pod: string, ready = true) => ({
  addresses: [ip],
  conditions: { ready },
  targetRef: target(pod),
});
const slice = (name: string, service: string, addressType: string, endpoints: object[], namespace = "a") => ({
  metadata: { namespace, name, labels: { "kubernetes.io/service-name": service } },
  addressType,
  endpoints,
});

describe("serviceEndpointsReader", () => {
  let api: FakeKubeApi;
  beforeAll(async () => {
    api = await startFakeKubeApi();
    // One cluster written by both controllers: web has two slices, api is dual-stack.
    api.endpointslices = [
      slice("web-1", "web", "IPv4", [sliceEndpoint("10.0.0.1", "w1")]),
      slice("web-2", "web", "IPv4", [sliceEndpoint("10.0.0.2", "w2", false)]),
      slice("api-4", "api", "IPv4", [sliceEndpoint("10.0.0.3", "a1")]),
      slice("api-6", "api", "IPv6", [sliceEndpoint("fd00::3", "a1")]),
      slice("db-1", "db", "IPv4", [], "b"),
    ];
    api.endpoints = [
      {
        metadata: { namespace: "a", name: "web" },
        subsets: [
          {
            addresses: [{ ip: "10.0.0.1", targetRef: target("w1") }],
            notReadyAddresses: [{ ip: "10.0.0.2", targetRef: target("w2") }],
          },
        ],
      },
      {
        metadata: { namespace: "a", name: "api" },
        subsets: [{ addresses: [{ ip: "10.0.0.3", targetRef: target("a1") }] }],
      },
      { metadata: { namespace: "b", name: "db" } },
    ];
  });
  afterAll(() => api.stop());
  beforeEach(() => {
    api.requests.length = 0;
  });

  const bySlices = () => serviceEndpointsReader(createClusterReader(api.client), "endpointslices");
  const byEndpoints = () => serviceEndpointsReader(createClusterReader(api.client), "endpoints");
  /** A dual-stack Service's slices hold both IPs; its Endpoints only the first family's. */
  const firstIpOnly = <T extends { targets: readonly { ips: readonly string[] }[] }>(service: T) => ({
    ...service,
    targets: service.targets.map((t) => ({ ...t, ips: t.ips.slice(0, 1) })),
  });

  it("reads EndpointSlices with the default source, and nothing from the deprecated Endpoints API", async () => {
    const reader = bySlices();
    expect(await reader.ofService("a", "api")).toEqual({
      namespace: "a",
      service: "api",
      targets: [{ targetRef: target("a1"), ips: ["10.0.0.3", "fd00::3"], ready: true }],
    });
    await reader.inNamespace("a");
    await reader.all();
    expect(api.requests.every((request) => request.startsWith("GET /apis/discovery.k8s.io/v1/"))).toBe(true);
  });

  it("gives the same Services from either source", async () => {
    for (const [namespace, service] of [
      ["a", "web"],
      ["a", "api"],
      ["b", "db"],
    ] as const) {
      expect(firstIpOnly(await bySlices().ofService(namespace, service))).toEqual(
        await byEndpoints().ofService(namespace, service),
      );
    }
    expect((await bySlices().inNamespace("a")).map(firstIpOnly)).toEqual(
      await byEndpoints().inNamespace("a"),
    );
    expect((await bySlices().all()).map(firstIpOnly)).toEqual(await byEndpoints().all());
  });

  it("answers a Service without endpoints with no targets", async () => {
    const none = { namespace: "a", service: "gone", targets: [] };
    expect(await bySlices().ofService("a", "gone")).toEqual(none);
    expect(await byEndpoints().ofService("a", "gone")).toEqual(none);
  });
});
