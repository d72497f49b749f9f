/**
 * Concurrent passes share their Kubernetes reads. Every Pod event's pass reads the ClusterSPIFFEIDs, the
 * ClusterStaticEntries, its pod's namespace and node, and a deleted pod's event every pod's UID; in a burst
 * of events those are the same reads, hundreds at once. Here a read joins the next read of the same thing
 * that starts after it was asked for (never one already in flight, which may predate the change the caller's
 * event reports), so each caller still sees the cluster as it was after its event, while a burst costs one
 * read per read's duration instead of one per event. Results are shared: callers must not change them.
 * Status writes pass through.
 */
import type { ScmCluster } from "./cluster.js";

export function shareFreshReads(cluster: ScmCluster): ScmCluster {
  const shared = new Map<string, FreshRead<unknown>>();
  const read = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let fresh = shared.get(key) as FreshRead<T> | undefined;
    if (fresh === undefined) {
      fresh = freshRead(load, () => shared.delete(key));
      shared.set(key, fresh as FreshRead<unknown>);
    }
    return fresh.next();
  };
  return {
    listCustomResources: (resource) => read(`list ${resource}`, () => cluster.listCustomResources(resource)),
    getCustomResource: (resource, name) =>
      read(`get ${resource} ${name}`, () => cluster.getCustomResource(resource, name)),
    listNamespaces: () => read("list namespaces", () => cluster.listNamespaces()),
    getNamespace: (name) => read(`get namespace ${name}`, () => cluster.getNamespace(name)),
    listNodes: () => read("list nodes", () => cluster.listNodes()),
    getNode: (name) => read(`get node ${name}`, () => cluster.getNode(name)),
    listPods: (scope = {}) =>
      read(`list pods ${JSON.stringify([scope.namespace, scope.nodeName])}`, () => cluster.listPods(scope)),
    getPod: (namespace, name) =>
      read(`get pod ${JSON.stringify([namespace, name])}`, () => cluster.getPod(namespace, name)),
    listPodUids: () => read("list pod uids", () => cluster.listPodUids()),
    servicesByPodUid: (namespace) =>
      read(`services ${JSON.stringify([namespace])}`, () => cluster.servicesByPodUid(namespace)),
    writeStatus: (resource, name, status) => cluster.writeStatus(resource, name, status),
  };
}

interface FreshRead<T> {
  /** The result of a `load` that starts after this call (shared with every caller waiting for it). */
  next(): Promise<T>;
}

/**
 * At most one `load` in flight, and at most one queued behind it for everyone who asked meanwhile; `idle`
 * once neither is left.
 */
export function freshRead<T>(load: () => Promise<T>, idle: () => void = () => undefined): FreshRead<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const run = Promise.resolve()
      .then(load)
      .finally(() => {
        if (running !== run) return;
        running = undefined;
        if (queued === undefined) idle();
      });
    running = run;
    return run;
  };
  return {
    next() {
      if (running === undefined) return start();
      if (queued === undefined) {
        const after = running.then(
          () => undefined,
          () => undefined,
        );
        queued = after.then(() => {
          queued = undefined;
          return start();
        });
      }
      return queued;
    },
  };
}
