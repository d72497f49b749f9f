/**
 * Scoped reconciles of single objects (DESIGN §2.1-2.2): the handler re-reads the object from the API
 * server, derives its entries, lists the entries SPIRE has for that scope, and applies the difference.
 * Replaying or reordering events converges to the same state, because nothing here depends on the
 * event's payload or on what happened before. Pods go through pod-batch.ts instead.
 */
import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { LogField } from "../log/log-fields.js";
import { diffInScope, nodeScope, nodeSelectors, type PodRef, podRefsForEndpoints } from "../planner/index.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import type { SpireResult } from "../spire/client.js";
import { type ApplyResult, applyPlan, emptySummary } from "./apply-plan.js";
import { deriveDesired, logWarnings, type ReconcileContext } from "./context.js";

/** One node (reconcile mode): its node entry follows the Node object. */
export async function reconcileNode(context: ReconcileContext, name: string): Promise<ApplyResult> {
  const { config, cluster, spire, logger } = context;
  const node = await cluster.getNode(name);
  const derivation = deriveDesired({ pods: [], nodes: node ? [node] : [], endpoints: [] }, config);
  logWarnings(derivation, logger);
  const current = await spire.listEntries({
    selectors: { selectors: nodeSelectors(name, config.cluster), match: "exact" },
  });
  if (!current.ok) return { ok: false, error: current.error, summary: emptySummary() };
  const plan = diffInScope(
    derivation.desired,
    current.value,
    context.isOwned,
    nodeScope(name, config.cluster),
  );
  return applyPlan(spire, plan, logger.child({ [LogField.node]: name }), context.metrics);
}

/**
 * The pods one Endpoints object concerns (reconcile mode with `add_pod_dns_names`): those it targets now
 * and those whose entries still carry its Service names, so a pod that left the Service, or a deleted
 * Endpoints, loses them. Their reconcile is the pod path's. Kubernetes failures throw (KubeApiError).
 */
export async function podsOfEndpoints(
  context: ReconcileContext,
  namespace: string,
  name: string,
): Promise<SpireResult<PodRef[]>> {
  const { config, cluster, spire } = context;
  if (!config.addPodDnsNames || !namespaceFilter(config.disabledNamespaces)(namespace))
    return { ok: true, value: [] };
  const endpoints = await serviceEndpointsReader(cluster, config.endpointsSource).ofService(namespace, name);
  const inNamespace = await spire.listEntries({
    selectors: { selectors: [{ type: "k8s", value: `ns:${namespace}` }], match: "superset" },
  });
  if (!inNamespace.ok) return inNamespace;
  return { ok: true, value: podRefsForEndpoints(endpoints, inNamespace.value) };
}
