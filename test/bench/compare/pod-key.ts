/**
 * Which pod a SPIRE entry is for, whatever system wrote it: the project and the Go registrar select
 * pods by `k8s:ns:<ns>` and `k8s:pod-name:<name>`, spire-controller-manager by
 * `k8s:pod-uid:<uid>`. A pod is named by its key `<namespace>/<name>`.
 */
import type { Entry } from "../../../lib/planner/entry.js";

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

/** The key of the pod `entry` is for, or undefined for any other entry (a node's, say). */
export function podKeyOfEntry(entry: Entry, uids: PodUids): string | undefined {
  let namespace: string | undefined;
  let name: string | undefined;
  for (const selector of entry.selectors) {
    if (selector.type !== "k8s") continue;
    const value = selector.value;
    if (value.startsWith("pod-uid:")) return uids.keyOf(value.slice("pod-uid:".length));
    if (value.startsWith("ns:")) namespace = value.slice("ns:".length);
    else if (value.startsWith("pod-name:")) name = value.slice("pod-name:".length);
  }
  return namespace !== undefined && name !== undefined ? podKey(namespace, name) : undefined;
}
