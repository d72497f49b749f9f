/**
 * Narrow, read-only access to the cluster objects the registrar derives entries from. Gets answer
 * `undefined` for an object that does not exist; lists are paged so a 10,000-pod cluster is read
 * in bounded memory per response. Every failure is a KubeApiError naming the verb and resource.
 */
import {
  CoreV1Api,
  type KubeConfig,
  type V1Endpoints,
  type V1Node,
  type V1Pod,
} from "@kubernetes/client-node";
import { type KubeCall, statusOf, toKubeApiError } from "./errors.js";

export interface ClusterReader {
  getPod(namespace: string, name: string): Promise<V1Pod | undefined>;
  getNode(name: string): Promise<V1Node | undefined>;
  getEndpoints(namespace: string, name: string): Promise<V1Endpoints | undefined>;
  /** Every pod in every namespace. */
  listPods(): Promise<V1Pod[]>;
  /** The pods scheduled on one node. */
  listPodsOnNode(nodeName: string): Promise<V1Pod[]>;
  listNodes(): Promise<V1Node[]>;
  /** Every Endpoints object in every namespace. */
  listEndpoints(): Promise<V1Endpoints[]>;
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

  return {
    getPod: (namespace, name) =>
      getOrUndefined({ verb: "get", resource: "pods", namespace, name }, () =>
        core.readNamespacedPod({ namespace, name }),
      ),
    getNode: (name) =>
      getOrUndefined({ verb: "get", resource: "nodes", name }, () => core.readNode({ name })),
    getEndpoints: (namespace, name) =>
      getOrUndefined({ verb: "get", resource: "endpoints", namespace, name }, () =>
        core.readNamespacedEndpoints({ namespace, name }),
      ),
    listPods: () =>
      listAll({ verb: "list", resource: "pods" }, (_continue) =>
        core.listPodForAllNamespaces({ limit, _continue }),
      ),
    listPodsOnNode: (nodeName) =>
      listAll({ verb: "list", resource: "pods" }, (_continue) =>
        core.listPodForAllNamespaces({ limit, _continue, fieldSelector: `spec.nodeName=${nodeName}` }),
      ),
    listNodes: () =>
      listAll({ verb: "list", resource: "nodes" }, (_continue) => core.listNode({ limit, _continue })),
    listEndpoints: () =>
      listAll({ verb: "list", resource: "endpoints" }, (_continue) =>
        core.listEndpointsForAllNamespaces({ limit, _continue }),
      ),
  };
}

async function getOrUndefined<T>(call: KubeCall, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw toKubeApiError(error, call);
  }
}

interface Page<T> {
  items: T[];
  metadata?: { _continue?: string };
}

async function listAll<T>(
  call: KubeCall,
  fetchPage: (continueToken: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  let continueToken: string | undefined;
  do {
    let page: Page<T>;
    try {
      page = await fetchPage(continueToken);
    } catch (error) {
      throw toKubeApiError(error, call);
    }
    for (const item of page.items) items.push(item);
    continueToken = page.metadata?._continue || undefined;
  } while (continueToken);
  return items;
}
