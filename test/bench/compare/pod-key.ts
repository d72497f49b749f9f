/**
 * Which pod a SPIRE entry is for, whatever system wrote it: the project and the Go registrar select
 * pods by `k8s:ns:<ns>` and `k8s:pod-name:<name>`, spire-controller-manager by
 * `k8s:pod-uid:<uid>`. A pod is named by its key `<namespace>/<name>`.
 */
import type { Entry, Selector } from "../../../lib/planner/entry.js";

/** `<namespace>/<name>`. */
export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** Pod UIDs by key and back, filled in by whoever creates or lists the pods. */
export interface PodUids {
  /** The key of the pod with this UID, if known. */
  keyOf(uid: string): string | undefined;
  remember(uid: string, key: string): void;
}

export function podUids(): PodUids {
  const byUid = new Map<string, string>();
  return {
    keyOf: (uid) => byUid.get(uid),
    remember: (uid, key) => {
      byUid.set(uid, key);
    },
  };
}

/** Which pod an entry's selectors name: by its key, or (spire-controller-manager) by its UID. */
export type PodRef = { readonly key: string } | { readonly uid: string };

/** The pod `selectors` name, or undefined for any other entry (a node's, say). */
export function podRefOfSelectors(selectors: readonly Selector[]): PodRef | undefined {
  let namespace: string | undefined;
  let name: string | undefined;
  for (const selector of selectors) {
    if (selector.type !== "k8s") continue;
    const value = selector.value;
    if (value.startsWith("pod-uid:")) return { uid: value.slice("pod-uid:".length) };
    if (value.startsWith("ns:")) namespace = value.slice("ns:".length);
    else if (value.startsWith("pod-name:")) name = value.slice("pod-name:".length);
  }
  return namespace !== undefined && name !== undefined ? { key: podKey(namespace, name) } : undefined;
}

/**
 * `node:<name>`: the key of a node's entry, for waiting on node entries as on pods' (a namespace
 * cannot contain a colon, so it never equals a pod's key).
 */
export function nodeKey(name: string): string {
  return `node:${name}`;
}

/** The node key of a reconcile-mode node entry (`k8s_psat:agent_node_name:<name>`), else undefined. */
export function nodeKeyOfSelectors(selectors: readonly Selector[]): string | undefined {
  for (const selector of selectors) {
    if (selector.type === "k8s_psat" && selector.value.startsWith("agent_node_name:")) {
      return nodeKey(selector.value.slice("agent_node_name:".length));
    }
  }
  return undefined;
}

/** The key of the pod `ref` names, if known (a UID is known once the pod's create has returned). */
export function keyOfRef(ref: PodRef, uids: PodUids): string | undefined {
  return "key" in ref ? ref.key : uids.keyOf(ref.uid);
}

/** The key of the pod `entry` is for, or undefined for any other entry (a node's, say). */
export function podKeyOfEntry(entry: Entry, uids: PodUids): string | undefined {
  const ref = podRefOfSelectors(entry.selectors);
  return ref === undefined ? undefined : keyOfRef(ref, uids);
}

/** The ids of the entries of each pod of `keys` in `entries` (a pod without an entry is left out). */
export function entryIdsByPod(
  entries: readonly Entry[],
  keys: readonly string[],
  uids: PodUids,
): Map<string, string[]> {
  const wanted = new Set(keys);
  const ids = new Map<string, string[]>();
  for (const entry of entries) {
    const key = podKeyOfEntry(entry, uids);
    if (key === undefined || !wanted.has(key)) continue;
    const list = ids.get(key);
    if (list === undefined) ids.set(key, [entry.id]);
    else list.push(entry.id);
  }
  return ids;
}
