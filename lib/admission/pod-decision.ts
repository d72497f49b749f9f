/**
 * What webhook mode does for one pod admission request (reference §2.3, with DESIGN §3): pure, so
 * every branch is a table test. The app carries out the returned action against SPIRE.
 *
 * Deletion: an entry is removed when the pod is really going away, not at the start of graceful
 * termination (the Go registrar removed it on the first DELETE, so the SVID vanished while the pod
 * still ran). The API server sends a second, final DELETE (grace period 0) when the kubelet has
 * stopped the pod; unscheduled and finished pods are deleted at once. A pod whose final DELETE is
 * missed loses its entry at the next resync.
 */

import { deriveWebhookEntries } from "../planner/derive-webhook.js";
import type { NewEntry } from "../planner/entry.js";
import type { Pod } from "../planner/k8s-objects.js";
import type { PlannerConfig } from "../planner/planner-config.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import type { PodRef } from "../planner/scope.js";
import { webhookPodEntryId } from "./pod-entry-id.js";
import type { AdmissionRequest } from "./review.js";

export type PodAdmission =
  | { readonly action: "allow"; readonly reason: string; readonly warnings: readonly string[] }
  | { readonly action: "create"; readonly entry: NewEntry; readonly warnings: readonly string[] }
  /** `entryId`: the ID a create of this pod asked for (see `webhookPodEntryId`). */
  | { readonly action: "delete"; readonly pod: PodRef; readonly entryId: string };

export function decidePodAdmission(request: AdmissionRequest, config: PlannerConfig): PodAdmission {
  const allow = (reason: string, warnings: readonly string[] = []): PodAdmission => ({
    action: "allow",
    reason,
    warnings,
  });
  const namespace = request.namespace ?? "";
  if (!namespaceFilter(config.disabledNamespaces)(namespace)) return allow("namespace disabled");
  const kind = request.kind;
  if (kind?.group !== "" || kind?.version !== "v1" || kind?.kind !== "Pod") {
    return allow("admission request received for unhandled object; check filters");
  }
  if (request.dryRun === true) return allow("dry run: no side effects");

  if (request.operation === "CREATE") {
    const pod = asPod(request.object);
    if (!pod) return allow("CREATE request carries no Pod object");
    const withNamespace: Pod = {
      ...pod,
      metadata: { ...pod.metadata, namespace: pod.metadata?.namespace ?? namespace },
    };
    const derived = deriveWebhookEntries([withNamespace], config);
    const warnings = derived.warnings.map((warning) => `SPIRE registrar: ${warning.message}`);
    // The first desired entry is the cluster node alias; a registrable pod adds its own after it.
    const entry = derived.desired[1];
    if (!entry) return allow("pod gets no SPIRE entry", warnings);
    const name = withNamespace.metadata?.name ?? request.name ?? "";
    const id = webhookPodEntryId(config.cluster, namespace, name);
    return { action: "create", entry: { ...entry, id }, warnings };
  }
  if (request.operation === "DELETE") {
    const name = request.name ?? asPod(request.oldObject)?.metadata?.name ?? "";
    if (name === "") return allow("DELETE request names no pod");
    if (!isFinalDelete(request))
      return allow("graceful termination started: the entry stays until the pod is gone");
    return {
      action: "delete",
      pod: { namespace, name },
      entryId: webhookPodEntryId(config.cluster, namespace, name),
    };
  }
  return allow("admission request received for unhandled pod operation; check filters");
}

function isFinalDelete(request: AdmissionRequest): boolean {
  const pod = asPod(request.oldObject);
  if (!pod) return true;
  if (request.options?.gracePeriodSeconds === 0) return true;
  if (pod.metadata?.deletionTimestamp) return true;
  if (!pod.spec?.nodeName) return true;
  const phase = pod.status?.phase;
  return phase === "Succeeded" || phase === "Failed";
}

function asPod(value: unknown): Pod | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Pod) : undefined;
}
