/**
 * The pods and nodes the benchmark creates, named and addressed deterministically so that every
 * system run of a round sees the same cluster (parity compares entries across runs): the cold pods
 * `cold-<k>/pod-<i>` (100 per namespace), the burst pods `burst-<k>/b-<j>`, nodes `node-<n>`. Pods
 * are scheduled by name (`spec.nodeName`), run as one of a few service accounts and get a unique IP.
 */
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import { podKey } from "./pod-key.js";

/** A pod in the state the benchmark leaves it: scheduled, Running, with an IP. */
export interface PlannedPod {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly serviceAccount: string;
  readonly ip: string;
  readonly key: string;
}

const COLD_PODS_PER_NAMESPACE = 100;

export function nodeName(index: number): string {
  return `node-${index}`;
}

/** The first `count` cold pods (pod i on node i mod `nodes`). */
export function coldPods(count: number, nodes: number): PlannedPod[] {
  return Array.from({ length: count }, (_, i) =>
    planned(
      `cold-${Math.floor(i / COLD_PODS_PER_NAMESPACE)}`,
      `pod-${i}`,
      i % nodes,
      `sa-${i % 7}`,
      ip(1, i),
    ),
  );
}

/** The burst's namespaces. */
export function burstNamespaces(count: number): string[] {
  return Array.from({ length: count }, (_, k) => `burst-${k}`);
}

/** `count` burst pods spread round-robin over `namespaces` namespaces and `nodes` nodes. */
export function burstPods(count: number, namespaces: number, nodes: number): PlannedPod[] {
  return Array.from({ length: count }, (_, j) =>
    planned(`burst-${j % namespaces}`, `b-${j}`, j % nodes, `sa-${j % 5}`, ip(200, j)),
  );
}

/** The create request body (no status: the API server ignores it on create). */
export function podBody(pod: PlannedPod): unknown {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.name, namespace: pod.namespace },
    spec: {
      nodeName: pod.node,
      serviceAccountName: pod.serviceAccount,
      containers: [{ name: "app", image: "registry.invalid/app:1" }],
    },
  };
}

/** The merge patch of the status subresource that a kubelet's first update would make. */
export function runningStatus(pod: PlannedPod): unknown {
  return { status: { phase: "Running", podIP: pod.ip, podIPs: [{ ip: pod.ip }] } };
}

/** The planner's view of the pod in its final state (what the project derives its entry from). */
export function plannerPod(pod: PlannedPod): Pod {
  return {
    metadata: { name: pod.name, namespace: pod.namespace },
    spec: { nodeName: pod.node, serviceAccountName: pod.serviceAccount },
    status: { phase: "Running", podIP: pod.ip, podIPs: [{ ip: pod.ip }] },
  };
}

function planned(
  namespace: string,
  name: string,
  node: number,
  serviceAccount: string,
  address: string,
): PlannedPod {
  return { namespace, name, node: nodeName(node), serviceAccount, ip: address, key: podKey(namespace, name) };
}

/** 10.<block>.x.y, unique for index < 65,536 within a block. */
function ip(block: number, index: number): string {
  return `10.${block + (index >> 16)}.${(index >> 8) & 255}.${index & 255}`;
}
