/**
 * A synthetic large cluster for planner benchmarks: deterministic (no randomness, no clock), so runs are
 * comparable. The current entries reproduce the desired state with some drift: a few stale, changed,
 * duplicate and foreign entries, so `diff` has work of every kind.
 */

import type { Entry, EntrySpec } from "../../lib/planner/entry.js";
import type { ClusterSnapshot, Endpoints, Pod } from "../../lib/planner/k8s-objects.js";
import type { PlannerConfig } from "../../lib/planner/planner-config.js";
import { serviceEndpointsFromEndpoints } from "../../lib/planner/service-endpoints.js";
import { reconcileConfig } from "../unit/planner/fixtures.js";

export interface BenchSize {
  readonly pods: number;
  readonly nodes: number;
  readonly endpoints: number;
  readonly namespaces: number;
}

/** The size the planner must handle in well under 100 ms (derive + diff). */
export const LARGE_CLUSTER: BenchSize = { pods: 10_000, nodes: 1_000, endpoints: 2_000, namespaces: 50 };

/** A reconcile-mode config with DNS names on, the most expensive derivation. */
export function benchConfig(): PlannerConfig {
  return reconcileConfig({ trustDomain: "example.org", cluster: "bench", addPodDnsNames: true });
}

/** Pods spread round-robin over nodes and namespaces; each Endpoints targets five consecutive pods. */
export function benchSnapshot(size: BenchSize = LARGE_CLUSTER): ClusterSnapshot {
  const pods: Pod[] = [];
  for (let index = 0; index < size.pods; index++) {
    pods.push({
      metadata: {
        name: `pod-${index}`,
        namespace: `ns-${index % size.namespaces}`,
        uid: `uid-${index}`,
        annotations: index % 10 === 0 ? { "spiffe.io/federatesWith": "partner.org" } : {},
      },
      spec: { nodeName: `node-${index % size.nodes}`, serviceAccountName: `sa-${index % 7}` },
      status: { phase: "Running", podIP: `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}` },
    });
  }
  const nodes = Array.from({ length: size.nodes }, (_, index) => ({ metadata: { name: `node-${index}` } }));
  const endpoints: Endpoints[] = [];
  for (let index = 0; index < size.endpoints; index++) {
    const targets = Array.from({ length: 5 }, (_, offset) => pods[(index * 5 + offset) % pods.length]).filter(
      (pod): pod is Pod => pod !== undefined,
    );
    // Endpoints only list pods of their own namespace.
    const namespace = targets[0]?.metadata?.namespace ?? "";
    endpoints.push({
      metadata: { name: `svc-${index}`, namespace },
      subsets: [
        {
          addresses: targets
            .filter((pod) => pod.metadata?.namespace === namespace)
            .map((pod) => ({
              ip: pod.status?.podIP ?? "",
              targetRef: {
                kind: "Pod",
                name: pod.metadata?.name ?? "",
                namespace,
                uid: pod.metadata?.uid ?? "",
              },
            })),
        },
      ],
    });
  }
  return { pods, nodes, endpoints: endpoints.map(serviceEndpointsFromEndpoints) };
}

/**
 * Current entries for `desired`: every entry present with an id, except 1 in 100 missing; 1 in 50 with
 * outdated DNS names; 1 in 200 duplicated; plus stale owned entries and foreign ones up to `total`.
 */
export function benchCurrentEntries(desired: readonly EntrySpec[], total = 11_000): Entry[] {
  const current: Entry[] = [];
  desired.forEach((spec, index) => {
    if (index % 100 === 99) return;
    const dnsNames = index % 50 === 7 ? [...spec.dnsNames].reverse() : spec.dnsNames;
    current.push({ ...spec, dnsNames, id: `entry-${index}` });
    if (index % 200 === 3) current.push({ ...spec, id: `dup-${index}` });
  });
  for (let index = 0; current.length < total; index++) {
    const owned = index % 2 === 0;
    current.push({
      id: `extra-${index}`,
      spiffeId: `spiffe://example.org/ns/gone/sa/sa-${index}`,
      parentId: owned
        ? `spiffe://example.org/spire-k8s-registrar/bench/node/node-${index % 1000}`
        : "spiffe://example.org/spire/server",
      selectors: [
        { type: "k8s", value: "ns:gone" },
        { type: "k8s", value: `pod-name:gone-${index}` },
      ],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    });
  }
  return current;
}
