/**
 * Which Services target which pods, built once per derivation so DNS names cost O(endpoints) overall
 * instead of a scan of every Service per pod. Like the Go registrar's field index on Endpoints, a pod is
 * matched by the Service's namespace and the Pod `targetRef.name` of any endpoint, ready or not.
 */
import type { ServiceEndpoints } from "./service-endpoints.js";

/** Services by the pods they target. */
export interface EndpointsIndex {
  /** The Services in `namespace` with a Pod endpoint named `podName`, each once, in input order. */
  forPod(namespace: string, podName: string): readonly ServiceEndpoints[];
}

/** Builds the index over the endpoints of many Services. */
export function indexEndpointsByPod(list: readonly ServiceEndpoints[]): EndpointsIndex {
  const byPod = new Map<string, ServiceEndpoints[]>();
  for (const endpoints of list) {
    for (const { targetRef } of endpoints.targets) {
      if (targetRef.kind !== "Pod" || targetRef.name === undefined) continue;
      const key = podKey(endpoints.namespace, targetRef.name);
      const services = byPod.get(key);
      if (services === undefined) byPod.set(key, [endpoints]);
      else if (!services.includes(endpoints)) services.push(endpoints);
    }
  }
  return { forPod: (namespace, podName) => byPod.get(podKey(namespace, podName)) ?? [] };
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
