/**
 * The planner's one view of a Service's endpoints, whichever API they were read from
 * (`endpoints_source`): the Service's namespace and name, and the objects behind it. A core/v1
 * Endpoints object becomes one with `serviceEndpointsFromEndpoints`; discovery.k8s.io/v1
 * EndpointSlices, several per Service, with `serviceEndpointsFromSlices` (endpoint-slices.ts). The
 * derivations read only this view, so the same cluster gives the same DNS names from either.
 */
import type { EndpointAddress, Endpoints, ObjectReference } from "./k8s-objects.js";

/** The API a Service's endpoints are read from (`endpoints_source`). */
export type EndpointsSource = "endpointslices" | "endpoints";

/** A Service and its endpoints that name a target object. */
export interface ServiceEndpoints {
  readonly namespace: string;
  /** The Service's name: an Endpoints object's own name, an EndpointSlice's `kubernetes.io/service-name`. */
  readonly service: string;
  readonly targets: readonly EndpointTarget[];
}

/** One endpoint with a target (an address without a `targetRef` names no pod and is left out). */
export interface EndpointTarget {
  /** The object serving the endpoint, normally a Pod, with the fields the API gave. */
  readonly targetRef: ObjectReference;
  /** Set by the controllers for a pod whose `spec.subdomain` is the Service. */
  readonly hostname?: string;
  /** Endpoints: the address's IP (none when it has none); slices: one per IP family of the Service. */
  readonly ips: readonly string[];
  /** Endpoints: listed in `addresses` rather than `notReadyAddresses`. */
  readonly ready: boolean;
}

/** A core/v1 Endpoints object: every address with a target, ready or not, each as written. */
export function serviceEndpointsFromEndpoints(endpoints: Endpoints): ServiceEndpoints {
  const targets: EndpointTarget[] = [];
  const add = (address: EndpointAddress, ready: boolean): void => {
    if (address.targetRef === undefined) return;
    targets.push({
      targetRef: address.targetRef,
      ...(address.hostname === undefined ? {} : { hostname: address.hostname }),
      ips: address.ip === undefined ? [] : [address.ip],
      ready,
    });
  };
  for (const subset of endpoints.subsets ?? []) {
    for (const address of subset.addresses ?? []) add(address, true);
    for (const address of subset.notReadyAddresses ?? []) add(address, false);
  }
  return {
    namespace: endpoints.metadata?.namespace ?? "",
    service: endpoints.metadata?.name ?? "",
    targets,
  };
}
