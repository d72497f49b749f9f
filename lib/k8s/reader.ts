/**
 * Narrow, read-only access to the cluster objects the registrar derives entries from, returned as
 * the planner's views. Gets answer `undefined` for an object that does not exist; lists are paged
 * so a 10,000-pod cluster is read in bounded memory per response. Every failure is a KubeApiError
 * naming the verb and resource.
 */
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import type { Endpoints, Node, Pod } from "../planner/k8s-objects.js";
import { type KubeCall, statusOf, toKubeApiError } from "./errors.js";
import { toPlannerEndpoints, toPlannerNode, toPlannerPod } from "./to-planner.js";

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
}

export interface ClusterReaderOptions {
  /** Objects per list response; the API server may return fewer. */
  readonly pageSize?: number;
}

const DEFAULT_PAGE_SIZE = 500;

export function createClusterReader(
  kubeConfig: KubeConfig,
  options: ClusterReaderOptions = {},
): ClusterReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const limit = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const pods = { verb: "list", resource: "pods" };
  const endpoints = { verb: "list", resource: "endpoints" };

  return {
    getPod: (namespace, name) =>
      getOrUndefined({ verb: "get", resource: "pods", namespace, name }, toPlannerPod, () =>
        core.readNamespacedPod({ namespace, name }),
      ),
    getNode: (name) =>
      getOrUndefined({ verb: "get", resource: "nodes", name }, toPlannerNode, () => core.readNode({ name })),
    getEndpoints: (namespace, name) =>
      getOrUndefined({ verb: "get", resource: "endpoints", namespace, name }, toPlannerEndpoints, () =>
        core.readNamespacedEndpoints({ namespace, name }),
      ),
    listPods: () =>
      listAll(pods, toPlannerPod, (_continue) => core.listPodForAllNamespaces({ limit, _continue })),
    listPodsOnNode: (nodeName) =>
      listAll(pods, toPlannerPod, (_continue) =>
        core.listPodForAllNamespaces({ limit, _continue, fieldSelector: `spec.nodeName=${nodeName}` }),
      ),
    listNodes: () =>
      listAll({ verb: "list", resource: "nodes" }, toPlannerNode, (_continue) =>
        core.listNode({ limit, _continue }),
      ),
    listEndpoints: () =>
      listAll(endpoints, toPlannerEndpoints, (_continue) =>
        core.listEndpointsForAllNamespaces({ limit, _continue }),
      ),
    listEndpointsInNamespace: (namespace) =>
      listAll({ ...endpoints, namespace }, toPlannerEndpoints, (_continue) =>
        core.listNamespacedEndpoints({ namespace, limit, _continue }),
      ),
  };
}

async function getOrUndefined<T, R>(
  call: KubeCall,
  map: (item: T) => R,
  read: () => Promise<T>,
): Promise<R | undefined> {
  let item: T;
  try {
    item = await read();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toKubeApiError(error, call);
  }
  return map(item);
}

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

async function listAll<T, R>(
  call: KubeCall,
  map: (item: T) => R,
  fetchPage: (continueToken: string | undefined) => Promise<Page<T>>,
): Promise<R[]> {
  const items: R[] = [];
  let continueToken: string | undefined;
  do {
    let page: Page<T>;
    try {
      page = await fetchPage(continueToken);
    } catch (error) {
      throw toKubeApiError(error, call);
    }
    for (const item of page.items) items.push(map(item));
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken);
  return items;
}
