/**
 * An in-memory ClusterReader for component tests of the functions: the test edits the objects,
 * the handlers read them as they would from the API server. `failWith` makes every call throw.
 * A Service's EndpointSlices are selected as the API server's label selector
 * `kubernetes.io/service-name=<service>` selects them: the label must be there with exactly that value.
 */
import type { KubeApiError } from "../../lib/k8s/errors.js";
import type { ClusterReader } from "../../lib/k8s/reader.js";
import { SERVICE_NAME_LABEL } from "../../lib/planner/endpoint-slices.js";
import type { EndpointSlice, Endpoints, Node, Pod } from "../../lib/planner/k8s-objects.js";

export interface FakeCluster extends ClusterReader {
  readonly pods: Map<string, Pod>;
  readonly nodes: Map<string, Node>;
  readonly endpoints: Map<string, Endpoints>;
  /** By `<namespace>/<name>`. */
  readonly endpointSlices: Map<string, EndpointSlice>;
  putPod(pod: Pod): void;
  putNode(node: Node): void;
  putEndpoints(endpoints: Endpoints): void;
  putEndpointSlice(slice: EndpointSlice): void;
  failWith: KubeApiError | undefined;
}

const key = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ""}/${name ?? ""}`;

export function createFakeCluster(): FakeCluster {
  const pods = new Map<string, Pod>();
  const nodes = new Map<string, Node>();
  const endpoints = new Map<string, Endpoints>();
  const endpointSlices = new Map<string, EndpointSlice>();
  const slicesIn = (namespace: string) =>
    [...endpointSlices.values()].filter((slice) => slice.metadata?.namespace === namespace);
  const cluster: FakeCluster = {
    pods,
    nodes,
    endpoints,
    endpointSlices,
    failWith: undefined,
    putPod: (pod) => void pods.set(key(pod.metadata?.namespace, pod.metadata?.name), pod),
    putNode: (node) => void nodes.set(node.metadata?.name ?? "", node),
    putEndpoints: (e) => void endpoints.set(key(e.metadata?.namespace, e.metadata?.name), e),
    putEndpointSlice: (s) => void endpointSlices.set(key(s.metadata?.namespace, s.metadata?.name), s),
    getPod: async (namespace, name) => check(pods.get(key(namespace, name))),
    getNode: async (name) => check(nodes.get(name)),
    getEndpoints: async (namespace, name) => check(endpoints.get(key(namespace, name))),
    listPods: async () => check([...pods.values()]),
    listPodsOnNode: async (nodeName) =>
      check([...pods.values()].filter((p) => p.spec?.nodeName === nodeName)),
    listNodes: async () => check([...nodes.values()]),
    listEndpoints: async () => check([...endpoints.values()]),
    listEndpointsInNamespace: async (namespace) =>
      check([...endpoints.values()].filter((e) => e.metadata?.namespace === namespace)),
    getEndpointSlice: async (namespace, name) => check(endpointSlices.get(key(namespace, name))),
    listEndpointSlices: async () => check([...endpointSlices.values()]),
    listEndpointSlicesInNamespace: async (namespace) => check(slicesIn(namespace)),
    listEndpointSlicesOfService: async (namespace, service) =>
      check(slicesIn(namespace).filter((slice) => slice.metadata?.labels?.[SERVICE_NAME_LABEL] === service)),
  };
  function check<T>(value: T): T {
    if (cluster.failWith) throw cluster.failWith;
    return value;
  }
  return cluster;
}
