/**
 * Concurrent passes share their Kubernetes reads. Every Pod event's pass reads the ClusterSPIFFEIDs, the
 * ClusterStaticEntries, its pod's namespace and node, and a deleted pod's event every pod's UID; in a burst
 * of events those are the same reads, hundreds at once. Here a read joins the next read of the same thing
 * that starts after it was asked for (never one already in flight, which may predate the change the caller's
 * event reports), so each caller still sees the cluster as it was after its event, while a burst costs one
 * read per read's duration instead of one per event. The list of every pod's UID, the largest, also starts at
 * most once a second (and asks for metadata only). Results are shared: callers must not change them. Status
 * writes pass through.
 */
import type { ScmCluster } from "./cluster.js";

export function shareFreshReads(cluster: ScmCluster): ScmCluster {
  const shared = new Map<string, FreshRead<unknown>>();
  // Every pod, for deletions: kept (so its spacing holds across idle spells) and at most one a second.
  const podUids = freshRead(() => cluster.listPodUids(), undefined, POD_UID_LIST_SPACING_MS);
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
    listPodUids: () => podUids.next(),
    servicesByPodUid: (namespace) =>
      read(`services ${JSON.stringify([namespace])}`, () => cluster.servicesByPodUid(namespace)),
    writeStatus: (resource, name, status) => cluster.writeStatus(resource, name, status),
  };
}

/**
 * The least time between two starts of the list of every pod's UID. A burst of deletions then costs one list
 * of the whole cluster a second, not one per list's duration; a lone deletion still waits for none.
 */
export const POD_UID_LIST_SPACING_MS = 1000;

interface FreshRead<T> {
  /** The result of a `load` that starts after this call (shared with every caller waiting for it). */
  next(): Promise<T>;
}

/**
 * At most one `load` in flight, and at most one queued behind it for everyone who asked meanwhile; `idle`
 * once neither is left. With `minSpacingMs`, a load starts no sooner than that long after the previous one
 * started (callers wait for it; they still get a load that starts after their call).
 */
export function freshRead<T>(
  load: () => Promise<T>,
  idle: () => void = () => undefined,
  minSpacingMs = 0,
): FreshRead<T> {
  let running: Promise<T> | undefined;
  let queued: Promise<T> | undefined;
  let lastStart = Number.NEGATIVE_INFINITY;
  const start = (): Promise<T> => {
    lastStart = Date.now();
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
  const spacingLeft = () => Math.max(0, lastStart + minSpacingMs - Date.now());
  return {
    next() {
      if (running === undefined && queued === undefined && spacingLeft() === 0) return start();
      if (queued === undefined) {
        const previous = (running ?? Promise.resolve()).then(
          () => undefined,
          () => undefined,
        );
        queued = previous
          .then(() => {
            const wait = spacingLeft();
            return wait > 0 ? new Promise((resolve) => setTimeout(resolve, wait)) : undefined;
          })
          .then(() => {
            queued = undefined;
            return start();
          });
      }
      return queued;
    },
  };
}
