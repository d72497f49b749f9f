/**
 * cluster-spiffeid mode's watch cache, for `registrar serve --watch`: what the bridge's watches have seen of
 * Pods, Nodes, Namespaces, EndpointSlices and SCM's custom resources, trimmed as a pass holds them
 * (cluster.ts `trimObject`), so that event passes read the cluster from memory instead of a GET per pod and a
 * list of every ClusterSPIFFEID per pass. The cache is fed only by the API server's own lists and watches,
 * never by an event's payload, and the bridge updates it before it delivers the change's event: a pass sees
 * at least the version its event is about.
 *
 * Once a collection has been listed whole, the cache answers its gets, its lists scoped to one namespace or
 * one node, the custom resources' lists, the UIDs of every pod, and one namespace's Services. The full pass's
 * unscoped lists of Pods, Nodes, Namespaces and EndpointSlices still go to the API server, as do status writes.
 */
import { CLUSTER_SPIFFEID_RESOURCES, type ResourceName } from "../bridge/resources.js";
import type { KubeObjectJson as WatchedObject } from "../bridge/to-cloudevent.js";
import type { WatchFeed } from "../bridge/watch-cache.js";
import type { CustomResourceJson, KubeObjectJson, PodJson } from "../scm/index.js";
import {
  type EndpointSliceJson,
  type ScmCluster,
  servicesByPodUidFromSlices,
  trimObject,
} from "./cluster.js";

export interface ScmWatchCache extends WatchFeed {
  /** Reads answered from the cache where it holds a whole collection (see above), otherwise by `api`. */
  reads(api: ScmCluster): ScmCluster;
}

/** The collections the cache keeps (the mode's); others (Endpoints, SpiffeIDs) pass through. */
type Kept = (typeof CLUSTER_SPIFFEID_RESOURCES)[number];

const KEPT: ReadonlySet<ResourceName> = new Set(CLUSTER_SPIFFEID_RESOURCES);

const CUSTOM_RESOURCES: ReadonlySet<Kept> = new Set<Kept>([
  "clusterspiffeids",
  "clusterstaticentries",
  "clusterfederatedtrustdomains",
]);

/** One collection's objects by namespace ("" for cluster-scoped objects), then by name. */
type Collection = Map<string, Map<string, KubeObjectJson>>;

export function createScmWatchCache(): ScmWatchCache {
  const collections = new Map<Kept, Collection>();
  const kept = (resource: ResourceName): resource is Kept => KEPT.has(resource);
  /** A collection once listed whole; undefined before, so reads go to the API server. */
  const whole = (resource: Kept): Collection | undefined => collections.get(resource);

  return {
    apply(resource, action, object) {
      if (!kept(resource)) return;
      const collection = collections.get(resource);
      if (collection === undefined) return;
      if (action === "delete")
        collection.get(object.metadata?.namespace ?? "")?.delete(object.metadata?.name ?? "");
      else put(collection, trimmed(resource, object));
    },
    startList(resource) {
      const target = kept(resource) ? resource : undefined;
      /** The list so far; the collection keeps serving its current state until `done()`. */
      const listed: Collection = new Map();
      return {
        page(items) {
          if (target === undefined) return;
          for (const item of items) put(listed, trimmed(target, item));
        },
        done() {
          if (target !== undefined) collections.set(target, listed);
        },
      };
    },
    reads(api) {
      const one = (resource: Kept, namespace: string, name: string) =>
        whole(resource)?.get(namespace)?.get(name);
      return {
        ...api,
        listCustomResources: (resource) => {
          const collection = whole(resource);
          return collection
            ? Promise.resolve(sortedList(collection) as CustomResourceJson[])
            : api.listCustomResources(resource);
        },
        getCustomResource: (resource, name) =>
          whole(resource) ? Promise.resolve(one(resource, "", name)) : api.getCustomResource(resource, name),
        getNamespace: (name) =>
          whole("namespaces") ? Promise.resolve(one("namespaces", "", name)) : api.getNamespace(name),
        getNode: (name) => (whole("nodes") ? Promise.resolve(one("nodes", "", name)) : api.getNode(name)),
        getPod: (namespace, name) =>
          whole("pods")
            ? Promise.resolve(one("pods", namespace, name) as PodJson | undefined)
            : api.getPod(namespace, name),
        listPods: (scope = {}) => {
          const pods = whole("pods");
          if (pods === undefined || (scope.namespace === undefined && scope.nodeName === undefined))
            return api.listPods(scope);
          const inScope = scope.namespace === undefined ? pods : onlyNamespace(pods, scope.namespace);
          const listed = sortedList(inScope) as PodJson[];
          return Promise.resolve(
            scope.nodeName === undefined
              ? listed
              : listed.filter((pod) => pod.spec?.nodeName === scope.nodeName),
          );
        },
        listPodUids: () => {
          const pods = whole("pods");
          if (pods === undefined) return api.listPodUids();
          const uids = new Set<string>();
          for (const names of pods.values())
            for (const pod of names.values()) uids.add(pod.metadata?.uid ?? "");
          return Promise.resolve(uids);
        },
        servicesByPodUid: (namespace) => {
          const slices = whole("endpointslices");
          if (slices === undefined || namespace === undefined) return api.servicesByPodUid(namespace);
          return Promise.resolve(
            servicesByPodUidFromSlices(sortedList(onlyNamespace(slices, namespace)) as EndpointSliceJson[]),
          );
        },
      };
    },
  };
}

/**
 * An object as the cache keeps it: what a pass reads (EndpointSlices: their namespace, labels and endpoints;
 * others: `trimObject`, custom resources with their status).
 */
function trimmed(resource: Kept, object: WatchedObject): KubeObjectJson {
  if (resource === "endpointslices") {
    const slice = object as EndpointSliceJson & { readonly metadata?: { readonly name?: string } };
    return {
      metadata: {
        name: slice.metadata?.name,
        namespace: slice.metadata?.namespace,
        labels: slice.metadata?.labels ?? undefined,
      },
      endpoints: slice.endpoints,
    } as KubeObjectJson;
  }
  return trimObject(object, CUSTOM_RESOURCES.has(resource)) as KubeObjectJson;
}

function put(collection: Collection, object: KubeObjectJson): void {
  const namespace = object.metadata?.namespace ?? "";
  let names = collection.get(namespace);
  if (names === undefined) {
    names = new Map();
    collection.set(namespace, names);
  }
  names.set(object.metadata?.name ?? "", object);
}

function onlyNamespace(collection: Collection, namespace: string): Collection {
  const names = collection.get(namespace);
  return names === undefined ? new Map() : new Map([[namespace, names]]);
}

/** The objects in the API server's list order: by namespace, then by name. */
function sortedList(collection: Collection): KubeObjectJson[] {
  const listed: KubeObjectJson[] = [];
  for (const namespace of [...collection.keys()].sort())
    for (const name of [...(collection.get(namespace)?.keys() ?? [])].sort()) {
      const object = collection.get(namespace)?.get(name);
      if (object !== undefined) listed.push(object);
    }
  return listed;
}
