/** The selectors the registrar puts on the entries it derives (reference §2.3, §2.1, §3.1). */
import type { Selector } from "./entry.js";

/** `k8s:ns:<namespace>` and `k8s:pod-name:<name>`: the workload selectors of a pod entry in every mode. */
export function podSelectors(namespace: string, name: string): Selector[] {
  return [
    { type: "k8s", value: `ns:${namespace}` },
    { type: "k8s", value: `pod-name:${name}` },
  ];
}

/** `k8s_psat:agent_node_name:<node>` and `k8s_psat:cluster:<cluster>`: a reconcile-mode node entry. */
export function nodeSelectors(nodeName: string, cluster: string): Selector[] {
  return [
    { type: "k8s_psat", value: `agent_node_name:${nodeName}` },
    { type: "k8s_psat", value: `cluster:${cluster}` },
  ];
}

/** `k8s_psat:cluster:<cluster>`: the webhook-mode cluster node alias, matching every agent of the cluster. */
export function clusterSelectors(cluster: string): Selector[] {
  return [{ type: "k8s_psat", value: `cluster:${cluster}` }];
}
