/**
 * What the bridge's watches have seen of pods, nodes, EndpointSlices and Endpoints, as the planner's
 * narrow views, so that `registrar serve --watch` answers the handlers' re-reads from memory instead of
 * a GET per event (as controller-runtime's informer cache does for the Go registrar). The cache is fed
 * only by the API server's own list and watch streams, never by an event's payload, and the bridge
 * updates it before it delivers the change's event: a handler re-reading an object sees at least the
 * version its event is about. Lists (what full resyncs read) still go to the API server.
 */
import type { ClusterReader } from "../k8s/reader.js";
import {
  toPlannerEndpointSlice,
  toPlannerEndpoints,
  toPlannerNode,
  toPlannerPod,
} from "../k8s/to-planner.js";
import { serviceOfSlice } from "../planner/endpoint-slices.js";
import type { EndpointSlice, Endpoints, Node, Pod } from "../planner/k8s-objects.js";
import type { ResourceName } from "./resources.js";
import type { ChangeAction, KubeObjectJson } from "./to-cloudevent.js";
import type { ListConsumer } from "./watch-resource.js";

/** What the bridge feeds a cache: each watch's changes and complete lists. */
export interface WatchFeed {
  /** A change seen on a watch. */
  apply(resource: ResourceName, action: ChangeAction, object: KubeObjectJson): void;
  /**
   * Takes a complete list of a collection (the first list, or a relist after 410 Gone) page by page:
   * each page's objects become views as the page arrives, and the views replace the collection at
   * once at `done()`. Only from then on does the reader answer from the cache for a collection never
   * listed before; a list that fails part-way (no `done()`) changes nothing.
   */
  startList(resource: ResourceName): ListConsumer;
}

export interface WatchCache extends WatchFeed {
  /**
   * A reader answering gets (and one namespace's or one Service's EndpointSlices or Endpoints) from the
   * cache once that collection has been listed whole, and everything else from `api`.
   */
  reader(api: ClusterReader): ClusterReader;
}

/** The collections the cache keeps (the planner's modes read them); others pass through uncached. */
type Cached = "pods" | "nodes" | "endpointslices" | "endpoints";

export function createWatchCache(): WatchCache {
  const pods = new Map<string, Pod>();
  const nodes = new Map<string, Node>();
  const endpointSlices = new Map<string, EndpointSlice>();
  const endpoints = new Map<string, Endpoints>();
  const synced = new Set<Cached>();
  const stores: Record<Cached, { map: Map<string, unknown>; view: (object: KubeObjectJson) => unknown }> = {
    pods: { map: pods, view: toPlannerPod },
    nodes: { map: nodes, view: toPlannerNode },
    endpointslices: { map: endpointSlices, view: toPlannerEndpointSlice },
    endpoints: { map: endpoints, view: toPlannerEndpoints },
  };
  const store = (resource: ResourceName) => (resource in stores ? stores[resource as Cached] : undefined);
  const inNamespace = <T extends { metadata?: { namespace?: string } }>(
    map: Map<string, T>,
    namespace: string,
  ) => [...map.values()].filter((object) => object.metadata?.namespace === namespace);

  return {
    apply(resource, action, object) {
      const target = store(resource);
      if (!target) return;
      const key = keyOf(object.metadata?.namespace, object.metadata?.name);
      if (action === "delete") target.map.delete(key);
      else target.map.set(key, target.view(object));
    },
    startList(resource) {
      const target = store(resource);
      /** The list's views so far; the collection keeps serving its current state until `done()`. */
      const listed = new Map<string, unknown>();
      return {
        page(items) {
          if (!target) return;
          for (const item of items) {
            listed.set(keyOf(item.metadata?.namespace, item.metadata?.name), target.view(item));
          }
        },
        done() {
          if (!target) return;
          target.map.clear();
          for (const [key, view] of listed) target.map.set(key, view);
          synced.add(resource as Cached);
        },
      };
    },
    reader(api) {
      /** From the cache once `resource` has synced, else from the API server. */
      const read = <T>(resource: Cached, local: () => T, remote: () => Promise<T>): Promise<T> =>
        synced.has(resource) ? Promise.resolve(local()) : remote();
      return {
        ...api,
        getPod: (namespace, name) =>
          read(
            "pods",
            () => pods.get(keyOf(namespace, name)),
            () => api.getPod(namespace, name),
          ),
        getNode: (name) =>
          read(
            "nodes",
            () => nodes.get(keyOf(undefined, name)),
            () => api.getNode(name),
          ),
        getEndpointSlice: (namespace, name) =>
          read(
            "endpointslices",
            () => endpointSlices.get(keyOf(namespace, name)),
            () => api.getEndpointSlice(namespace, name),
          ),
        listEndpointSlicesInNamespace: (namespace) =>
          read(
            "endpointslices",
            () => inNamespace(endpointSlices, namespace),
            () => api.listEndpointSlicesInNamespace(namespace),
          ),
        listEndpointSlicesOfService: (namespace, service) =>
          read(
            "endpointslices",
            () => inNamespace(endpointSlices, namespace).filter((s) => serviceOfSlice(s) === service),
            () => api.listEndpointSlicesOfService(namespace, service),
          ),
        getEndpoints: (namespace, name) =>
          read(
            "endpoints",
            () => endpoints.get(keyOf(namespace, name)),
            () => api.getEndpoints(namespace, name),
          ),
        listEndpointsInNamespace: (namespace) =>
          read(
            "endpoints",
            () => inNamespace(endpoints, namespace),
            () => api.listEndpointsInNamespace(namespace),
          ),
      };
    },
  };
}

function keyOf(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ""}/${name ?? ""}`;
}
