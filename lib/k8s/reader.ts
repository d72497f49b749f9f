/**
 * Narrow, read-only access to the cluster objects the registrar derives entries from, returned as
 * the planner's views. Gets answer `undefined` for an object that does not exist; lists are paged
 * so a 10,000-pod cluster is read in bounded memory per response. Every failure is a KubeApiError
 * naming the verb and resource.
 */
import { SERVICE_NAME_LABEL } from "../planner/endpoint-slices.js";
import type { EndpointSlice, Endpoints, Node, Pod } from "../planner/k8s-objects.js";
import type { KubeCall } from "./errors.js";
import type { KubeClient } from "./kube-client.js";
import { toPlannerEndpointSlice, toPlannerEndpoints, toPlannerNode, toPlannerPod } from "./to-planner.js";

export interface ClusterReader {
  getPod(namespace: string, name: string): Promise<Pod | undefined>;
  getNode(name: string): Promise<Node | undefined>;
  getEndpoints(namespace: string, name: string): Promise<Endpoints | undefined>;
  /** Every pod in every namespace. */
  listPods(): Promise<Pod[]>;
  /** The pods scheduled on one node. */
  listPodsOnNode(nodeName: string): Promise<Pod[]>;
  listNodes(): Promise<Node[]>;
  /** Every Endpoints object in every namespace. */
  listEndpoints(): Promise<Endpoints[]>;
  /** The Endpoints objects of one namespace. */
  listEndpointsInNamespace(namespace: string): Promise<Endpoints[]>;
  getEndpointSlice(namespace: string, name: string): Promise<EndpointSlice | undefined>;
  /** Every EndpointSlice in every namespace. */
  listEndpointSlices(): Promise<EndpointSlice[]>;
  /** The EndpointSlices of one namespace. */
  listEndpointSlicesInNamespace(namespace: string): Promise<EndpointSlice[]>;
  /** The EndpointSlices of one Service: those labelled `kubernetes.io/service-name=<service>`. */
  listEndpointSlicesOfService(namespace: string, service: string): Promise<EndpointSlice[]>;
}

export interface ClusterReaderOptions {
  /** Objects per list response; the API server may return fewer. */
  readonly pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;

export function createClusterReader(client: KubeClient, options: ClusterReaderOptions = {}): ClusterReader {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const ns = (namespace: string) => `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
  const slices = (namespace?: string) =>
    `/apis/discovery.k8s.io/v1${namespace === undefined ? "" : `/namespaces/${encodeURIComponent(namespace)}`}/endpointslices`;
  const one = encodeURIComponent;

  async function get<T>(call: KubeCall, path: string, map: (item: T) => T) {
    const item = await client.get<T>(call, path);
    return item === undefined ? undefined : map(item);
  }
  async function list<T>(
    call: KubeCall,
    path: string,
    map: (item: T) => T,
    query?: Record<string, string>,
  ): Promise<T[]> {
    return (await client.list<T>(call, path, { pageSize, map, ...(query ? { query } : {}) })).items;
  }

  return {
    getPod: (namespace, name) =>
      get(
        { verb: "get", resource: "pods", namespace, name },
        `${ns(namespace)}/pods/${one(name)}`,
        toPlannerPod,
      ),
    getNode: (name) =>
      get({ verb: "get", resource: "nodes", name }, `/api/v1/nodes/${one(name)}`, toPlannerNode),
    getEndpoints: (namespace, name) =>
      get(
        { verb: "get", resource: "endpoints", namespace, name },
        `${ns(namespace)}/endpoints/${one(name)}`,
        toPlannerEndpoints,
      ),
    listPods: () => list({ verb: "list", resource: "pods" }, "/api/v1/pods", toPlannerPod),
    listPodsOnNode: (nodeName) =>
      list({ verb: "list", resource: "pods" }, "/api/v1/pods", toPlannerPod, {
        fieldSelector: `spec.nodeName=${nodeName}`,
      }),
    listNodes: () => list({ verb: "list", resource: "nodes" }, "/api/v1/nodes", toPlannerNode),
    listEndpoints: () =>
      list({ verb: "list", resource: "endpoints" }, "/api/v1/endpoints", toPlannerEndpoints),
    listEndpointsInNamespace: (namespace) =>
      list(
        { verb: "list", resource: "endpoints", namespace },
        `${ns(namespace)}/endpoints`,
        toPlannerEndpoints,
      ),
    getEndpointSlice: (namespace, name) =>
      get(
        { verb: "get", resource: "endpointslices", namespace, name },
        `${slices(namespace)}/${one(name)}`,
        toPlannerEndpointSlice,
      ),
    listEndpointSlices: () =>
      list({ verb: "list", resource: "endpointslices" }, slices(), toPlannerEndpointSlice),
    listEndpointSlicesInNamespace: (namespace) =>
      list(
        { verb: "list", resource: "endpointslices", namespace },
        slices(namespace),
        toPlannerEndpointSlice,
      ),
    listEndpointSlicesOfService: (namespace, service) =>
      list(
        { verb: "list", resource: "endpointslices", namespace },
        slices(namespace),
        toPlannerEndpointSlice,
        {
          labelSelector: `${SERVICE_NAME_LABEL}=${service}`,
        },
      ),
  };
}
