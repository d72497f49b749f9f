/** The digest of what a pod's cluster-spiffeid entries can derive from. */
import { describe, expect, it } from "vitest";
import { podDigest } from "../../../lib/scm-sync/pod-digest.js";

const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web-0",
    namespace: "apps",
    uid: "u1",
    resourceVersion: "7",
    labels: { app: "web", tier: "front" },
    managedFields: [{ manager: "kubectl" }],
  },
  spec: { nodeName: "node-1", serviceAccountName: "web", containers: [{ name: "c", image: "i" }] },
  status: { phase: "Pending" },
};

describe("podDigest", () => {
  it("is the same after a status update, and for the same object with its keys in another order", () => {
    const running = {
      ...pod,
      metadata: { ...pod.metadata, resourceVersion: "8", managedFields: [{ manager: "kubelet" }] },
      status: { phase: "Running", podIP: "10.0.0.1" },
    };
    // An event adapter's re-encoding sorts keys; the trimmed object a pass reads has no status.
    const reordered = JSON.parse(
      JSON.stringify({
        spec: { serviceAccountName: "web", containers: [{ image: "i", name: "c" }], nodeName: "node-1" },
        metadata: { labels: { tier: "front", app: "web" }, uid: "u1", namespace: "apps", name: "web-0" },
      }),
    );
    expect(podDigest(running)).toBe(podDigest(pod));
    expect(podDigest(reordered)).toBe(podDigest(pod));
  });

  it("changes with anything in metadata or spec a template can read", () => {
    const digest = podDigest(pod);
    expect(podDigest({ ...pod, metadata: { ...pod.metadata, labels: { app: "web" } } })).not.toBe(digest);
    expect(podDigest({ ...pod, metadata: { ...pod.metadata, annotations: { a: "b" } } })).not.toBe(digest);
    expect(podDigest({ ...pod, spec: { ...pod.spec, serviceAccountName: "db" } })).not.toBe(digest);
    // Array order is meaning (containers, ownerReferences): kept.
    const two = { ...pod, spec: { ...pod.spec, containers: [{ name: "a" }, { name: "b" }] } };
    const swapped = { ...pod, spec: { ...pod.spec, containers: [{ name: "b" }, { name: "a" }] } };
    expect(podDigest(two)).not.toBe(podDigest(swapped));
  });

  it("has no digest for what is not an object with metadata", () => {
    expect(podDigest(undefined)).toBeUndefined();
    expect(podDigest({ spec: {} })).toBeUndefined();
    expect(podDigest([pod])).toBeUndefined();
  });
});
