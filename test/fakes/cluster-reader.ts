/**
 * An in-memory ClusterReader for component tests of the functions: the test edits the objects,
 * the handlers read them as they would from the API server. `failWith` makes every call throw.
 */
import type { KubeApiError } from "../../lib/k8s/errors.js";
import type { ClusterReader } from "../../lib/k8s/reader.js";
import type { Endpoints, Node, Pod } from "../../lib/planner/k8s-objects.js";

export interface FakeCluster extends ClusterReader {
  readonly pods: Map<string, Pod>;
  readonly nodes: Map<string, Node>;
  readonly endpoints: Map<string, Endpoints>;
  putPod(pod: Pod): void;
  putNode(node: Node): void;
  putEndpoints(endpoints: Endpoints): void;
  failWith: KubeApiError | undefined;
}

const key = (namespace: string | undefined, name: string | undefined) => `${namespace ?? ""}/${name ?? ""}`;

export function createFakeCluster(): FakeCluster {
  const pods = new Map<string, Pod>();
  const nodes = new Map<string, Node>();
  const endpoints = new Map<string, Endpoints>();
  const cluster: FakeCluster = {
    pods,
    nodes,
    endpoints,
    failWith: undefined,
    putPod: (pod) => void pods.set(key(pod.metadata?.namespace, pod.metadata?.name), pod),
    putNode: (node) => void nodes.set(node.metadata?.name ?? "", node),
    putEndpoints: (e) => void endpoints.set(key(e.metadata?.namespace, e.metadata?.name), e),
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
  };
  function check<T>(value: T): T {
    if (cluster.failWith) throw cluster.failWith;
    return value;
  }
  return cluster;
}
