/**
 * Puts the shared cluster into the state a run needs, through the load client: nodes and cold pods
 * that stay between runs, the burst's namespaces and pods that each run creates and removes. Nothing
 * else runs on this API server (no namespace controller, no garbage collector, no kubelet), so pods
 * are deleted one by one with grace period 0, and a namespace is removed by deleting it and then
 * clearing its finalizer.
 */
import { inParallel, type KubeApi } from "./kube-api.js";
import { type PlannedPod, podBody, runningStatus } from "./planned-pods.js";
import type { PodUids } from "./pod-key.js";

interface ListJson {
  items?: Array<{ metadata?: { name?: string; namespace?: string; uid?: string } }>;
  metadata?: { continue?: string };
}

/** Every object of a collection path, e.g. `/api/v1/pods` (paged). */
export async function listAll(api: KubeApi, path: string): Promise<NonNullable<ListJson["items"]>> {
  const items: NonNullable<ListJson["items"]> = [];
  let continueToken: string | undefined;
  do {
    const query = new URLSearchParams({ limit: "1000" });
    if (continueToken) query.set("continue", continueToken);
    const page = (await api.call("GET", `${path}?${query}`)).body as ListJson;
    items.push(...(page.items ?? []));
    continueToken = page.metadata?.continue || undefined;
  } while (continueToken);
  return items;
}

/** Creates the nodes of `names` that do not exist yet. */
export async function ensureNodes(api: KubeApi, names: readonly string[], inflight: number): Promise<void> {
  const existing = new Set((await listAll(api, "/api/v1/nodes")).map((node) => node.metadata?.name));
  const missing = names.filter((name) => !existing.has(name));
  await inParallel(missing, inflight, (name) =>
    api.call("POST", "/api/v1/nodes", { body: { apiVersion: "v1", kind: "Node", metadata: { name } } }),
  );
}

/** Creates the namespaces of `names` that do not exist yet. */
export async function ensureNamespaces(api: KubeApi, names: readonly string[]): Promise<void> {
  const existing = new Set((await listAll(api, "/api/v1/namespaces")).map((ns) => ns.metadata?.name));
  for (const name of names) {
    if (!existing.has(name)) await createNamespace(api, name);
  }
}

export async function createNamespace(api: KubeApi, name: string): Promise<void> {
  await api.call("POST", "/api/v1/namespaces", {
    body: { apiVersion: "v1", kind: "Namespace", metadata: { name } },
  });
}

/**
 * Creates the pods of `pods` that do not exist yet (and marks them Running), and records every
 * pod's UID. Pods already there are left as they are.
 */
export async function ensurePods(
  api: KubeApi,
  pods: readonly PlannedPod[],
  uids: PodUids,
  inflight: number,
): Promise<void> {
  await ensureNamespaces(api, [...new Set(pods.map((pod) => pod.namespace))]);
  const existing = new Set<string>();
  for (const item of await listAll(api, "/api/v1/pods")) {
    const key = `${item.metadata?.namespace}/${item.metadata?.name}`;
    existing.add(key);
    if (item.metadata?.uid) uids.remember(item.metadata.uid, key);
  }
  await inParallel(
    pods.filter((pod) => !existing.has(pod.key)),
    inflight,
    async (pod) => {
      await createPod(api, pod, uids);
      await markRunning(api, pod);
    },
  );
}

/** Creates one pod and records its UID. */
export async function createPod(api: KubeApi, pod: PlannedPod, uids: PodUids): Promise<void> {
  const created = await api.call("POST", `/api/v1/namespaces/${pod.namespace}/pods`, { body: podBody(pod) });
  const uid = (created.body as { metadata?: { uid?: string } }).metadata?.uid;
  if (uid) uids.remember(uid, pod.key);
}

/** Patches the pod's status to Running with its IP, as its kubelet would. */
export async function markRunning(api: KubeApi, pod: PlannedPod): Promise<void> {
  await api.call("PATCH", `/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/status`, {
    body: runningStatus(pod),
    contentType: "application/merge-patch+json",
  });
}

/** Deletes one pod at once (grace period 0); a pod already gone is fine. */
export async function deletePod(api: KubeApi, namespace: string, name: string): Promise<void> {
  await api.call("DELETE", `/api/v1/namespaces/${namespace}/pods/${name}`, {
    body: { apiVersion: "v1", kind: "DeleteOptions", gracePeriodSeconds: 0 },
    accept: [404],
  });
}

/**
 * Removes the namespaces and every pod in them: the pods one by one, then each namespace (its
 * deletion would wait for the namespace controller forever, so its finalizer is cleared by hand).
 */
export async function removeNamespaces(
  api: KubeApi,
  names: readonly string[],
  inflight: number,
): Promise<void> {
  const wanted = new Set(names);
  const pods = (await listAll(api, "/api/v1/pods")).filter((pod) =>
    wanted.has(pod.metadata?.namespace ?? ""),
  );
  await inParallel(pods, inflight, (pod) =>
    deletePod(api, pod.metadata?.namespace ?? "", pod.metadata?.name ?? ""),
  );
  const existing = new Set((await listAll(api, "/api/v1/namespaces")).map((ns) => ns.metadata?.name));
  await inParallel(
    names.filter((name) => existing.has(name)),
    inflight,
    async (name) => {
      await api.call("DELETE", `/api/v1/namespaces/${name}`, { accept: [404] });
      const current = await api.call("GET", `/api/v1/namespaces/${name}`, { accept: [404] });
      if (current.status === 404) return;
      const namespace = current.body as { spec?: { finalizers?: string[] } };
      await api.call("PUT", `/api/v1/namespaces/${name}/finalize`, {
        body: { ...namespace, spec: { ...namespace.spec, finalizers: [] } },
        accept: [404],
      });
    },
  );
}
