/**
 * The entry ID pod-admission asks SPIRE for when it registers a pod: a digest of the cluster,
 * namespace and pod name, so the pod's final DELETE removes its entry by ID instead of searching
 * SPIRE by selectors (a costly query for the server). Entries made otherwise (by the resync, or by
 * an older version) have server-chosen IDs and are found by their selectors.
 */
import { createHash } from "node:crypto";

export function webhookPodEntryId(cluster: string, namespace: string, name: string): string {
  const digest = createHash("sha256").update(`${cluster}\n${namespace}\n${name}`).digest("hex");
  return `k8s-workload-registrar.pod.${digest.slice(0, 40)}`;
}
