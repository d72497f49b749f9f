/**
 * Which Endpoints objects target which pods, built once per derivation so DNS names cost O(addresses)
 * overall instead of a scan of all Endpoints per pod. Like the Go registrar's field index, a pod is matched
 * by the Endpoints' namespace and the Pod `targetRef.name` of any ready or not-ready address.
 */
import type { EndpointAddress, Endpoints } from "./k8s-objects.js";

/** Endpoints by the pods they target. */
export interface EndpointsIndex {
  /** The Endpoints in `namespace` with a Pod address named `podName`, each once, in input order. */
  forPod(namespace: string, podName: string): readonly Endpoints[];
}

/** Every address of an Endpoints object, ready ones first (Go includes not-ready addresses too). */
export function allAddresses(endpoints: Endpoints): EndpointAddress[] {
  const addresses: EndpointAddress[] = [];
  for (const subset of endpoints.subsets ?? []) {
    addresses.push(...(subset.addresses ?? []), ...(subset.notReadyAddresses ?? []));
  }
  return addresses;
}

/** Builds the index over a list of Endpoints. */
export function indexEndpointsByPod(list: readonly Endpoints[]): EndpointsIndex {
  const byPod = new Map<string, Endpoints[]>();
  for (const endpoints of list) {
    const namespace = endpoints.metadata?.namespace ?? "";
    for (const address of allAddresses(endpoints)) {
      const ref = address.targetRef;
      if (ref?.kind !== "Pod" || ref.name === undefined) continue;
      const key = podKey(namespace, ref.name);
      const entries = byPod.get(key);
      if (entries === undefined) byPod.set(key, [endpoints]);
      else if (!entries.includes(endpoints)) entries.push(endpoints);
    }
  }
  return { forPod: (namespace, podName) => byPod.get(podKey(namespace, podName)) ?? [] };
}

function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
