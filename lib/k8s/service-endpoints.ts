/**
 * The Services' endpoints as the planner reads them (ServiceEndpoints), from the API that
 * `endpoints_source` names: discovery.k8s.io/v1 EndpointSlices (the default; Kubernetes 1.33
 * deprecated core/v1 Endpoints and kube-apiserver 1.36 warns on every read of them) or Endpoints.
 * The only place that picks the API: everything after it reads the same view. Failures are the
 * reader's KubeApiErrors.
 */
import { serviceEndpointsFromSlices, serviceOfSlice } from "../planner/endpoint-slices.js";
import {
  type EndpointsSource,
  type ServiceEndpoints,
  serviceEndpointsFromEndpoints,
} from "../planner/service-endpoints.js";
import type { ClusterReader } from "./reader.js";

export interface ServiceEndpointsReader {
  /** One Service's endpoints; no targets when it has none (or does not exist). */
  ofService(namespace: string, service: string): Promise<ServiceEndpoints>;
  /** The endpoints of the Services of one namespace. */
  inNamespace(namespace: string): Promise<ServiceEndpoints[]>;
  /** The endpoints of every Service. */
  all(): Promise<ServiceEndpoints[]>;
}

export function serviceEndpointsReader(
  cluster: ClusterReader,
  source: EndpointsSource,
): ServiceEndpointsReader {
  const none = (namespace: string, service: string): ServiceEndpoints => ({
    namespace,
    service,
    targets: [],
  });
  if (source === "endpoints") {
    return {
      async ofService(namespace, service) {
        const endpoints = await cluster.getEndpoints(namespace, service);
        return endpoints ? serviceEndpointsFromEndpoints(endpoints) : none(namespace, service);
      },
      inNamespace: async (namespace) =>
        (await cluster.listEndpointsInNamespace(namespace)).map(serviceEndpointsFromEndpoints),
      all: async () => (await cluster.listEndpoints()).map(serviceEndpointsFromEndpoints),
    };
  }
  return {
    async ofService(namespace, service) {
      const slices = await cluster.listEndpointSlicesOfService(namespace, service);
      return (
        serviceEndpointsFromSlices(slices).find((endpoints) => endpoints.service === service) ??
        none(namespace, service)
      );
    },
    inNamespace: async (namespace) =>
      serviceEndpointsFromSlices(await cluster.listEndpointSlicesInNamespace(namespace)),
    all: async () => serviceEndpointsFromSlices(await cluster.listEndpointSlices()),
  };
}

/**
 * The Services an event about endpoints concerns: one (`name`), or every Service of `namespace` when the
 * event's EndpointSlice is gone, so which Service it belonged to cannot be read any more (the event of a
 * deleted slice names only the slice).
 */
export interface ServiceRef {
  readonly namespace: string;
  readonly name?: string;
}

/**
 * The Services an EndpointSlice event concerns, from the slice as the API server has it now (events are
 * hints): its `kubernetes.io/service-name` label; undefined for a slice that belongs to no Service.
 */
export async function readServicesOfSlice(
  cluster: ClusterReader,
  namespace: string,
  name: string,
): Promise<ServiceRef | undefined> {
  const slice = await cluster.getEndpointSlice(namespace, name);
  if (slice === undefined) return { namespace };
  const service = serviceOfSlice(slice);
  return service === undefined ? undefined : { namespace, name: service };
}
