/**
 * discovery.k8s.io/v1 EndpointSlices as the planner's ServiceEndpoints, equal to what the Endpoints
 * controller writes for the same pods. A Service may have several slices (more than 100 endpoints,
 * or one per IP family of a dual-stack Service), so the same pod can appear more than once: it becomes
 * one target holding each of its IPs. The Endpoints controller leaves out a terminating pod (unless the
 * Service publishes not-ready addresses, when its slices mark it ready), so a terminating endpoint that
 * is not ready is left out too. `conditions.ready` unset means ready, as the API asks consumers to
 * read it.
 */
import type { EndpointSlice, EndpointSliceEndpoint, ObjectReference } from "./k8s-objects.js";
import type { EndpointTarget, ServiceEndpoints } from "./service-endpoints.js";

/** The label that names an EndpointSlice's Service; a slice without it belongs to no Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** Address types whose endpoints are pod IPs (an FQDN slice names hosts, never pods). */
const IP_ADDRESS_TYPES: ReadonlySet<string> = new Set(["IPv4", "IPv6"]);

/** The Service an EndpointSlice belongs to, or undefined when its label is missing or empty. */
export function serviceOfSlice(slice: EndpointSlice): string | undefined {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return service === undefined || service === "" ? undefined : service;
}

/**
 * One ServiceEndpoints per Service that `slices` belong to (slices without the label are ignored), in
 * the order the Services first appear; a Service whose slices have no pod endpoints has no targets.
 */
export function serviceEndpointsFromSlices(slices: readonly EndpointSlice[]): ServiceEndpoints[] {
  const services = new Map<string, { service: ServiceEndpoints; targets: Map<string, EndpointTarget> }>();
  for (const slice of slices) {
    const name = serviceOfSlice(slice);
    if (name === undefined) continue;
    const namespace = slice.metadata?.namespace ?? "";
    const key = `${namespace}/${name}`;
    let group = services.get(key);
    if (group === undefined) {
      const targets = new Map<string, EndpointTarget>();
      group = { service: { namespace, service: name, targets: [] }, targets };
      services.set(key, group);
    }
    if (!IP_ADDRESS_TYPES.has(slice.addressType ?? "")) continue;
    for (const endpoint of slice.endpoints ?? []) addEndpoint(group.targets, endpoint);
  }
  return [...services.values()].map(({ service, targets }) => ({
    ...service,
    targets: [...targets.values()],
  }));
}

function addEndpoint(targets: Map<string, EndpointTarget>, endpoint: EndpointSliceEndpoint): void {
  const targetRef = endpoint.targetRef;
  if (targetRef === undefined) return;
  const ready = endpoint.conditions?.ready !== false;
  if (!ready && endpoint.conditions?.terminating === true) return;
  const key = targetKey(targetRef);
  const known = targets.get(key);
  const ips = endpoint.addresses ?? [];
  if (known === undefined) {
    targets.set(key, {
      targetRef,
      ...(endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname }),
      ips: [...new Set(ips)],
      ready,
    });
    return;
  }
  // The controller writes a pod's slices one after the other: while they differ, any ready one counts.
  targets.set(key, {
    ...known,
    ips: [...new Set([...known.ips, ...ips])],
    ready: known.ready || ready,
  });
}

function targetKey(ref: ObjectReference): string {
  return JSON.stringify([ref.kind, ref.namespace, ref.name, ref.uid]);
}
