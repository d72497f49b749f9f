import { describe, expect, it } from "vitest";
import { deriveCrdSpiffeIds } from "../../../lib/planner/derive-crd.js";
import { deriveReconcileEntries } from "../../../lib/planner/derive-reconcile.js";
import { serviceEndpointsFromSlices, serviceOfSlice } from "../../../lib/planner/endpoint-slices.js";
import type { ClusterSnapshot, EndpointSlice, Endpoints } from "../../../lib/planner/k8s-objects.js";
import { podRefsForEndpoints } from "../../../lib/planner/scope.js";
import { serviceEndpointsFromEndpoints } from "../../../lib/planner/service-endpoints.js";
import {
  coreEndpoints,
  endpointSlice,
  node,
  pod,
  podAddress,
  reconcileConfig,
  sliceEndpoint,
  spec,
} from "./fixtures.js";

const podRef = (name: string, namespace = "bar") => ({ kind: "Pod", namespace, name, uid: `uid-${name}` });

describe("serviceEndpointsFromEndpoints", () => {
  it("keeps every address with a target, ready and not ready, each with its IP and hostname", () => {
    const endpoints: Endpoints = {
      metadata: { namespace: "bar", name: "web" },
      subsets: [
        { addresses: [podAddress("10.0.0.1", "bar", "a", "host-a"), { ip: "10.0.0.9" }] },
        {
          addresses: [podAddress("10.0.0.2", "bar", "b")],
          notReadyAddresses: [podAddress("10.0.0.3", "bar", "c")],
        },
      ],
    };
    expect(serviceEndpointsFromEndpoints(endpoints)).toEqual({
      namespace: "bar",
      service: "web",
      targets: [
        { targetRef: podRef("a"), hostname: "host-a", ips: ["10.0.0.1"], ready: true },
        { targetRef: podRef("b"), ips: ["10.0.0.2"], ready: true },
        { targetRef: podRef("c"), ips: ["10.0.0.3"], ready: false },
      ],
    });
  });

  it("gives a deleted Endpoints (metadata only) no targets", () => {
    expect(serviceEndpointsFromEndpoints({ metadata: { namespace: "bar", name: "web" } })).toEqual({
      namespace: "bar",
      service: "web",
      targets: [],
    });
  });
});

describe("serviceEndpointsFromSlices", () => {
  it("gathers the slices of each Service by the kubernetes.io/service-name label, per namespace", () => {
    const slices = [
      endpointSlice("bar", "web-abcde", "web", [sliceEndpoint("10.0.0.1", "bar", "a")]),
      endpointSlice("bar", "api-xyz12", "api", [sliceEndpoint("10.0.0.3", "bar", "c")]),
      endpointSlice("bar", "web-fghij", "web", [sliceEndpoint("10.0.0.2", "bar", "b")]),
      endpointSlice("other", "web-klmno", "web", [sliceEndpoint("10.1.0.1", "other", "z")]),
    ];
    expect(serviceEndpointsFromSlices(slices)).toEqual([
      {
        namespace: "bar",
        service: "web",
        targets: [
          { targetRef: podRef("a"), ips: ["10.0.0.1"], ready: true },
          { targetRef: podRef("b"), ips: ["10.0.0.2"], ready: true },
        ],
      },
      {
        namespace: "bar",
        service: "api",
        targets: [{ targetRef: podRef("c"), ips: ["10.0.0.3"], ready: true }],
      },
      {
        namespace: "other",
        service: "web",
        targets: [{ targetRef: podRef("z", "other"), ips: ["10.1.0.1"], ready: true }],
      },
    ]);
  });

  it("ignores slices without the label or with an empty one", () => {
    const unlabelled = endpointSlice("bar", "manual", undefined, [sliceEndpoint("10.0.0.1", "bar", "a")]);
    const empty: EndpointSlice = {
      ...unlabelled,
      metadata: { ...unlabelled.metadata, labels: { "kubernetes.io/service-name": "" } },
    };
    expect(serviceEndpointsFromSlices([unlabelled, empty])).toEqual([]);
    expect([serviceOfSlice(unlabelled), serviceOfSlice(empty)]).toEqual([undefined, undefined]);
  });

  it("holds a pod of a dual-stack Service's IPv4 and IPv6 slices once, with both IPs", () => {
    const slices = [
      endpointSlice("bar", "api-v4", "api", [sliceEndpoint("10.0.0.3", "bar", "c", { hostname: "c" })]),
      endpointSlice(
        "bar",
        "api-v6",
        "api",
        [sliceEndpoint("fd00::3", "bar", "c", { hostname: "c" })],
        "IPv6",
      ),
    ];
    expect(serviceEndpointsFromSlices(slices)).toEqual([
      {
        namespace: "bar",
        service: "api",
        targets: [{ targetRef: podRef("c"), hostname: "c", ips: ["10.0.0.3", "fd00::3"], ready: true }],
      },
    ]);
  });

  it("reads an unset ready condition as ready and keeps not-ready endpoints as not ready", () => {
    const slice = endpointSlice("bar", "web-abcde", "web", [
      sliceEndpoint("10.0.0.1", "bar", "a"),
      sliceEndpoint("10.0.0.2", "bar", "b", { ready: true }),
      sliceEndpoint("10.0.0.3", "bar", "c", { ready: false }),
    ]);
    expect(serviceEndpointsFromSlices([slice])[0]?.targets.map((t) => [t.targetRef.name, t.ready])).toEqual([
      ["a", true],
      ["b", true],
      ["c", false],
    ]);
  });

  it("counts a pod as ready when any of its slices says so (slices are written one after the other)", () => {
    const slices = [
      endpointSlice("bar", "api-v4", "api", [sliceEndpoint("10.0.0.3", "bar", "c", { ready: false })]),
      endpointSlice("bar", "api-v6", "api", [sliceEndpoint("fd00::3", "bar", "c", { ready: true })], "IPv6"),
    ];
    expect(serviceEndpointsFromSlices(slices)[0]?.targets.map((t) => t.ready)).toEqual([true]);
  });

  it("leaves out a terminating endpoint that is not ready, which Endpoints do not list, and keeps a ready one", () => {
    const slice = endpointSlice("bar", "web-abcde", "web", [
      sliceEndpoint("10.0.0.1", "bar", "a", { ready: false, terminating: true }),
      // publishNotReadyAddresses: the controller keeps a terminating pod ready, and Endpoints list it.
      sliceEndpoint("10.0.0.2", "bar", "b", { ready: true, terminating: true }),
    ]);
    expect(serviceEndpointsFromSlices([slice])[0]?.targets.map((t) => t.targetRef.name)).toEqual(["b"]);
  });

  it("takes no pods from an FQDN slice or from endpoints without a targetRef", () => {
    const fqdn = endpointSlice(
      "bar",
      "ext-abcde",
      "ext",
      [{ addresses: ["db.example.com"], targetRef: podRef("a") }],
      "FQDN",
    );
    const noTarget = endpointSlice("bar", "web-abcde", "web", [{ addresses: ["10.0.0.9"] }]);
    expect(serviceEndpointsFromSlices([fqdn, noTarget])).toEqual([
      { namespace: "bar", service: "ext", targets: [] },
      { namespace: "bar", service: "web", targets: [] },
    ]);
  });
});

/**
 * One namespace's Services written both ways, as the Endpoints and the EndpointSlice controllers would:
 * `web` has two slices and a not-ready pod, `api` is dual-stack, `db` is headless with a hostname; a
 * terminating pod is in a slice only (not ready) and `stray` is in a slice without the Service label.
 */
const CLUSTER = {
  pods: [
    pod({ name: "web-0", podIP: "10.0.0.1" }),
    pod({ name: "web-1", podIP: "10.0.0.2" }),
    pod({ name: "api-0", podIP: "10.0.0.3" }),
    pod({ name: "db-0", podIP: "10.0.0.4", hostname: "db-0" }),
    pod({ name: "slow-0", podIP: "10.0.0.5" }),
    pod({ name: "gone-0", podIP: "10.0.0.6", deletionTimestamp: "2026-01-01T00:00:00Z" }),
    pod({ name: "stray-0", podIP: "10.0.0.7" }),
  ],
  nodes: [node("baz")],
};
const AS_ENDPOINTS = [
  coreEndpoints(
    "bar",
    "web",
    [podAddress("10.0.0.1", "bar", "web-0"), podAddress("10.0.0.2", "bar", "web-1")],
    [podAddress("10.0.0.5", "bar", "slow-0")],
  ),
  coreEndpoints("bar", "api", [podAddress("10.0.0.3", "bar", "api-0")]),
  coreEndpoints("bar", "db", [podAddress("10.0.0.4", "bar", "db-0", "db-0")]),
];
const AS_SLICES = [
  endpointSlice("bar", "web-abcde", "web", [
    sliceEndpoint("10.0.0.1", "bar", "web-0"),
    sliceEndpoint("10.0.0.5", "bar", "slow-0", { ready: false }),
  ]),
  endpointSlice("bar", "web-fghij", "web", [
    sliceEndpoint("10.0.0.2", "bar", "web-1", { ready: true, terminating: false }),
    sliceEndpoint("10.0.0.6", "bar", "gone-0", { ready: false, terminating: true }),
  ]),
  // The IPv6 slice first: the IPv4 address (the pod's own family, as in the Endpoints) still names it.
  endpointSlice("bar", "api-v6", "api", [sliceEndpoint("fd00::3", "bar", "api-0")], "IPv6"),
  endpointSlice("bar", "api-v4", "api", [sliceEndpoint("10.0.0.3", "bar", "api-0")]),
  endpointSlice("bar", "db-xyz12", "db", [sliceEndpoint("10.0.0.4", "bar", "db-0", { hostname: "db-0" })]),
  endpointSlice("bar", "hand-made", undefined, [sliceEndpoint("10.0.0.7", "bar", "stray-0")]),
];
const fromEndpoints: ClusterSnapshot = {
  ...CLUSTER,
  endpoints: AS_ENDPOINTS.map(serviceEndpointsFromEndpoints),
};
const fromSlices: ClusterSnapshot = { ...CLUSTER, endpoints: serviceEndpointsFromSlices(AS_SLICES) };

describe("the same cluster from EndpointSlices and from Endpoints", () => {
  it("derives the same reconcile-mode entries (add_pod_dns_names: ready and not-ready endpoints)", () => {
    const config = reconcileConfig({ addPodDnsNames: true });
    const bySlices = deriveReconcileEntries(fromSlices, config);
    expect(bySlices).toEqual(deriveReconcileEntries(fromEndpoints, config));
    const names = (pod: string) =>
      bySlices.desired.find((e) => e.selectors.some((s) => s.value === `pod-name:${pod}`))?.dnsNames ?? [];
    expect(names("web-0")).toContain("web-0.web.bar.svc");
    expect(names("slow-0")).toContain("web.bar.svc");
    expect(names("api-0")).toContain("10-0-0-3.api.bar.svc");
    expect(names("api-0").filter((n) => n.startsWith("fd00"))).toEqual([]);
    expect(names("db-0")).toContain("db-0.db.bar.svc.cluster.local");
    expect(names("gone-0")).toEqual(["10-0-0-6.bar.pod.cluster.local", "10-0-0-6.bar.pod"]);
    expect(names("stray-0")).toEqual(["10-0-0-7.bar.pod.cluster.local", "10-0-0-7.bar.pod"]);
  });

  it("names an IPv6-first pod of a dual-stack Service by its IPv6 address, as its Endpoints would", () => {
    const config = reconcileConfig({ addPodDnsNames: true });
    const pods = [pod({ name: "api-0", podIP: "fd00::3" })];
    const slices = AS_SLICES.filter((slice) => slice.metadata?.name?.startsWith("api-"));
    const endpoints = [coreEndpoints("bar", "api", [podAddress("fd00::3", "bar", "api-0")])];
    const bySlices = deriveReconcileEntries(
      { pods, nodes: [], endpoints: serviceEndpointsFromSlices(slices) },
      config,
    );
    expect(bySlices).toEqual(
      deriveReconcileEntries(
        { pods, nodes: [], endpoints: endpoints.map(serviceEndpointsFromEndpoints) },
        config,
      ),
    );
    expect(bySlices.desired[0]?.dnsNames).toContain("fd00--3.api.bar.svc");
  });

  it("derives the same crd-mode SpiffeIDs (add_svc_dns_name: ready endpoints only)", () => {
    const config = reconcileConfig({ mode: "crd", dnsNameTemplates: ["{{.Pod.Name}}"], addSvcDnsName: true });
    const bySlices = deriveCrdSpiffeIds(fromSlices, config, "spire");
    expect(bySlices).toEqual(deriveCrdSpiffeIds(fromEndpoints, config, "spire"));
    const names = Object.fromEntries(bySlices.desired.map((d) => [d.metadata.name, d.spec.dnsNames]));
    expect(names).toMatchObject({
      "web-0": ["web-0", "web.bar.svc"],
      "web-1": ["web-1", "web.bar.svc"],
      "api-0": ["api-0", "api.bar.svc"],
      "db-0": ["db-0", "db.bar.svc"],
      "slow-0": ["slow-0"],
      "gone-0": ["gone-0"],
      "stray-0": ["stray-0"],
    });
  });

  it("gives an event about a Service the same pods to reconcile", () => {
    const carrier = spec(
      "spiffe://example.test/x",
      "spiffe://example.test/y",
      ["k8s:ns:bar", "k8s:pod-name:old"],
      {
        dnsNames: ["web.bar.svc"],
      },
    );
    const web = (snapshot: ClusterSnapshot) => snapshot.endpoints.find((e) => e.service === "web");
    const bySlices = podRefsForEndpoints(web(fromSlices) ?? { namespace: "", service: "", targets: [] }, [
      carrier,
    ]);
    expect(bySlices).toEqual(
      podRefsForEndpoints(web(fromEndpoints) ?? { namespace: "", service: "", targets: [] }, [carrier]),
    );
    expect(bySlices.map((ref) => ref.name)).toEqual(["old", "slow-0", "web-0", "web-1"]);
  });
});
