import { describe, expect, it } from "vitest";
import { deriveReconcileEntries } from "../../../lib/planner/derive-reconcile.js";
import { reconcileOwnership } from "../../../lib/planner/ownership.js";
import {
  diffInScope,
  isServiceDnsName,
  nodeScope,
  podRefFromSelectors,
  podRefsForEndpoints,
  podRefsWithServiceNames,
  podScope,
  restrictToScope,
} from "../../../lib/planner/scope.js";
import { serviceEndpointsFromEndpoints } from "../../../lib/planner/service-endpoints.js";
import { endpoints, entry, node, pod, podAddress, reconcileConfig, spec } from "./fixtures.js";

const ROOT = "spiffe://example.test/spire-k8s-registrar/test-cluster/node";
const config = reconcileConfig({ addPodDnsNames: true });
const isOwned = reconcileOwnership(config);

describe("scopes", () => {
  const podA = spec("spiffe://example.test/a", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:a"]);
  const podB = spec("spiffe://example.test/b", `${ROOT}/n1`, ["k8s:pod-name:b", "k8s:ns:bar"]);
  const podAWithMore = spec("spiffe://example.test/a", `${ROOT}/n1`, [
    "k8s:ns:bar",
    "k8s:pod-name:a",
    "k8s:sa:x",
  ]);
  const nodeN1 = spec(`${ROOT}/n1`, "spiffe://example.test/spire/server", [
    "k8s_psat:agent_node_name:n1",
    "k8s_psat:cluster:test-cluster",
  ]);
  const all = [podA, podB, podAWithMore, nodeN1];

  it("podScope matches the exact pod selector set", () => {
    expect(restrictToScope(all, podScope([{ namespace: "bar", name: "a" }]))).toEqual([podA]);
    expect(restrictToScope(all, podScope([{ namespace: "bar", name: "b" }]))).toEqual([podB]);
  });

  it("nodeScope matches the node entry", () => {
    expect(restrictToScope(all, nodeScope("n1", "test-cluster"))).toEqual([nodeN1]);
    expect(restrictToScope(all, nodeScope("n1", "other-cluster"))).toEqual([]);
  });

  it("podRefFromSelectors reads pod entries only", () => {
    expect(podRefFromSelectors(podB.selectors)).toEqual({ namespace: "bar", name: "b" });
    expect(podRefFromSelectors(podAWithMore.selectors)).toBeUndefined();
    expect(podRefFromSelectors(nodeN1.selectors)).toBeUndefined();
  });
});

describe("scoped planning for a pod event", () => {
  it("reconciles the pod's entry without deleting entries outside the scope", () => {
    const target = pod({ name: "a", node: "n1" });
    const other = entry(
      "e-other",
      spec("spiffe://example.test/ns/bar/sa/sa1", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:z"]),
    );
    const stale = entry(
      "e-a",
      spec("spiffe://example.test/old", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:a"]),
    );
    const { desired } = deriveReconcileEntries({ pods: [target], nodes: [], endpoints: [] }, config);
    const plan = diffInScope(desired, [other, stale], isOwned, podScope([{ namespace: "bar", name: "a" }]));
    expect(plan.create.map((s) => s.spiffeId)).toEqual(["spiffe://example.test/ns/bar/sa/sa1"]);
    expect(plan.delete).toEqual([stale]);
  });

  it("a deleted pod (absent from the re-read) loses its entry", () => {
    const current = entry(
      "e-a",
      spec("spiffe://example.test/ns/bar/sa/sa1", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:a"]),
    );
    const plan = diffInScope([], [current], isOwned, podScope([{ namespace: "bar", name: "a" }]));
    expect(plan.delete).toEqual([current]);
  });

  it("a node event reconciles only the node entry", () => {
    const { desired } = deriveReconcileEntries({ pods: [], nodes: [node("n1")], endpoints: [] }, config);
    const podEntry = entry(
      "p",
      spec("spiffe://example.test/x", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:a"]),
    );
    const plan = diffInScope(desired, [podEntry], isOwned, nodeScope("n1", "test-cluster"));
    expect(plan).toEqual({ create: desired, update: [], delete: [] });
  });
});

describe("podRefsForEndpoints", () => {
  const svc = endpoints(
    "bar",
    "web",
    [podAddress("10.0.0.1", "bar", "a")],
    [podAddress("10.0.0.2", "bar", "b")],
  );
  const leaver = spec("spiffe://example.test/ns/bar/sa/sa1", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:c"], {
    dnsNames: ["10-0-0-3.bar.pod.cluster.local", "web.bar.svc"],
  });
  const unrelated = spec("spiffe://example.test/d", `${ROOT}/n1`, ["k8s:ns:bar", "k8s:pod-name:d"], {
    dnsNames: ["api.bar.svc"],
  });

  it("covers current targets (ready or not) and pods that still carry the Service's names", () => {
    expect(podRefsForEndpoints(svc, [leaver, unrelated])).toEqual([
      { namespace: "bar", name: "a" },
      { namespace: "bar", name: "b" },
      { namespace: "bar", name: "c" },
    ]);
  });

  it("for a deleted Endpoints (metadata only) covers the pods that carry its names", () => {
    const deleted = serviceEndpointsFromEndpoints({ metadata: { namespace: "bar", name: "web" } });
    expect(podRefsForEndpoints(deleted, [leaver, unrelated])).toEqual([{ namespace: "bar", name: "c" }]);
  });

  it("an Endpoints event removes the Service names from a pod that left it", () => {
    const pods = [
      pod({ name: "a", node: "n1", podIP: "10.0.0.1" }),
      pod({ name: "c", node: "n1", podIP: "10.0.0.3" }),
    ];
    const { desired } = deriveReconcileEntries({ pods, nodes: [], endpoints: [svc] }, config);
    const current = [entry("e-c", leaver)];
    const scope = podScope(podRefsForEndpoints(svc, current));
    const plan = diffInScope(desired, current, isOwned, scope);
    expect(plan.create.map((s) => s.selectors[1]?.value)).toEqual(["pod-name:a"]);
    expect(plan.update.map((e) => [e.id, e.dnsNames])).toEqual([
      ["e-c", ["10-0-0-3.bar.pod.cluster.local", "10-0-0-3.bar.pod"]],
    ]);
  });
});

describe("podRefsWithServiceNames (a deleted EndpointSlice: its Service is unknown)", () => {
  const carrying = (pod: string, dnsNames: string[]) =>
    spec("spiffe://example.test/x", `${ROOT}/n1`, ["k8s:ns:bar", `k8s:pod-name:${pod}`], { dnsNames });

  it("covers the pods carrying a Service name of the namespace, whichever Service, and no others", () => {
    const current = [
      carrying("web", ["10-0-0-1.bar.pod", "web.bar.svc", "web.bar.svc.cluster.local"]),
      carrying("db", ["db-0.db.bar.svc"]),
      carrying("plain", ["10-0-0-3.bar.pod.cluster.local", "10-0-0-3.bar.pod"]),
      carrying("lookalike", ["x.foobar.svc"]),
    ];
    expect(podRefsWithServiceNames("bar", current)).toEqual([
      { namespace: "bar", name: "db" },
      { namespace: "bar", name: "web" },
    ]);
  });

  it.each([
    ["web.bar.svc", "web", true],
    ["web.bar.svc", "api", false],
    ["web.bar.svc.cluster.local", "web", false],
    ["web.bar.svc", undefined, true],
    ["db-0.db.bar.svc", undefined, true],
    ["web.foobar.svc", undefined, false],
    ["web.bar", undefined, false],
  ])("isServiceDnsName(%j, bar, %j) is %j", (dnsName, service, expected) => {
    expect(isServiceDnsName(dnsName, "bar", service)).toBe(expected);
  });
});
