/**
 * A pod event in CRD mode (`pod_controller`): the pod is re-read and its SpiffeID made to match it — created,
 * rewritten when any derived field changed (not only spec.spiffeId, as in Go), replaced when a same-named
 * predecessor still holds it, deleted when the pod is gone, terminal or gets no identity; never created
 * for a terminating pod (ensure-spiffeid.ts).
 */

import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { derivePodSpiffeIdResource, parseCrdPodRules } from "../planner/derive-crd.js";
import type { ServiceEndpoints } from "../planner/service-endpoints.js";
import type { Warning } from "../planner/warning.js";
import { logWarnings } from "../reconcile/context.js";
import { type CrdContext, type CrdResult, emptyCrdSummary } from "./context.js";
import { ensureDerivedSpiffeId } from "./ensure-spiffeid.js";

export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

/** `endpoints`: the Endpoints of the pod's namespace when the caller has them (else read when needed). */
export async function reconcilePodSpiffeId(
  context: CrdContext,
  ref: PodRef,
  endpoints?: readonly ServiceEndpoints[],
): Promise<CrdResult> {
  const { config, cluster, logger } = context;
  if (!context.podController) return { ok: true, summary: emptyCrdSummary() };
  const rules = parseCrdPodRules(config);
  if (!rules.ok) {
    // Start-up validation rejects such a config; never delete SpiffeIDs because of a template bug.
    logger.error(`cannot derive pod SpiffeIDs: ${rules.error}`);
    return { ok: true, summary: emptyCrdSummary() };
  }
  const pod = await cluster.getPod(ref.namespace, ref.name);
  const inNamespace =
    pod && config.addSvcDnsName
      ? (endpoints ??
        (await serviceEndpointsReader(cluster, config.endpointsSource).inNamespace(ref.namespace)))
      : [];
  const warnings: Warning[] = [];
  const desired = pod ? derivePodSpiffeIdResource(pod, inNamespace, rules.value, warnings) : undefined;
  logWarnings({ desired: [], warnings }, logger);
  return ensureDerivedSpiffeId(context, {
    kind: "Pod",
    namespace: ref.namespace,
    name: ref.name,
    desired,
    ownerTerminating: pod?.metadata?.deletionTimestamp !== undefined,
  });
}
