/**
 * `spec.selector` -> SPIRE selectors (reference §4.2), in the Go registrar's order. Pod labels are
 * emitted sorted by key (Go iterated a map, so its order was random; an entry's selectors are a set,
 * so only determinism matters).
 */
import type { Selector } from "../planner/entry.js";
import type { SpiffeIdSelector } from "./spiffeid.js";

export function spiffeIdSelectors(selector: SpiffeIdSelector): Selector[] {
  const selectors: Selector[] = [];
  const add = (type: string, value: string | undefined) => {
    if (value) selectors.push({ type, value });
  };
  add("k8s_psat", selector.cluster && `cluster:${selector.cluster}`);
  add("k8s_psat", selector.agent_node_uid && `agent_node_uid:${selector.agent_node_uid}`);
  for (const key of Object.keys(selector.podLabel ?? {}).sort()) {
    add("k8s", `pod-label:${key}:${selector.podLabel?.[key] ?? ""}`);
  }
  add("k8s", selector.podName && `pod-name:${selector.podName}`);
  add("k8s", selector.podUid && `pod-uid:${selector.podUid}`);
  add("k8s", selector.namespace && `ns:${selector.namespace}`);
  add("k8s", selector.serviceAccount && `sa:${selector.serviceAccount}`);
  add("k8s", selector.containerName && `container-name:${selector.containerName}`);
  add("k8s", selector.containerImage && `container-image:${selector.containerImage}`);
  add("k8s", selector.nodeName && `node-name:${selector.nodeName}`);
  for (const value of selector.arbitrary ?? []) add("k8s", value);
  return selectors;
}
