/**
 * Scoped reconciles of single objects (DESIGN §2.1-2.2): the handler re-reads the object from the API
 * server, derives its entries, lists the entries SPIRE has for that scope, and applies the difference.
 * Replaying or reordering events converges to the same state, because nothing here depends on the
 * event's payload or on what happened before. Pods go through pod-batch.ts instead.
 */
import { readServicesOfSlice, type ServiceRef, serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { LogField } from "../log/log-fields.js";
import {
  diffInScope,
  nodeScope,
  nodeSelectors,
  type PodRef,
  podRefsForEndpoints,
  podRefsWithServiceNames,
} from "../planner/index.js";
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
 * The pods the endpoints of a Service concern (reconcile mode with `add_pod_dns_names`): those they target
 * now and those whose entries still carry the Service's names, so a pod that left the Service, or all of
 * them when it has no endpoints any more, lose them; for every Service of the namespace (a deleted
 * EndpointSlice), the pods carrying any Service name. Their reconcile is the pod path's. Kubernetes
 * failures throw (KubeApiError).
 */
export async function podsOfService(
  context: ReconcileContext,
  service: ServiceRef,
): Promise<SpireResult<PodRef[]>> {
  const { config, cluster, spire } = context;
  const { namespace, name } = service;
  if (!servesServiceNames(context, namespace)) return { ok: true, value: [] };
  const endpoints =
    name === undefined
      ? undefined
      : await serviceEndpointsReader(cluster, config.endpointsSource).ofService(namespace, name);
  const inNamespace = await spire.listEntries({
    selectors: { selectors: [{ type: "k8s", value: `ns:${namespace}` }], match: "superset" },
  });
  if (!inNamespace.ok) return inNamespace;
  return {
    ok: true,
    value: endpoints
      ? podRefsForEndpoints(endpoints, inNamespace.value)
      : podRefsWithServiceNames(namespace, inNamespace.value),
  };
}

/**
 * The Services an EndpointSlice event concerns, re-read from the API server; undefined when none: Service
 * names are not derived for the namespace, or the slice belongs to no Service (logged at debug).
 */
export async function servicesOfSlice(
  context: ReconcileContext,
  namespace: string,
  name: string,
): Promise<ServiceRef | undefined> {
  if (!servesServiceNames(context, namespace)) return undefined;
  const service = await readServicesOfSlice(context.cluster, namespace, name);
  if (service === undefined) {
    context.logger.debug(
      { [LogField.namespace]: namespace, [LogField.name]: name },
      "EndpointSlice without a kubernetes.io/service-name label: no Service's DNS names, ignored",
    );
  }
  return service;
}

function servesServiceNames({ config }: ReconcileContext, namespace: string): boolean {
  return config.addPodDnsNames && namespaceFilter(config.disabledNamespaces)(namespace);
}
