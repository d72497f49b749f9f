/**
 * Reconciles one event's scope (DESIGN §2.1-2.2): the handler re-reads the object from the API
 * server, derives its entries, lists the entries SPIRE has for that scope, and applies the
 * difference. Replaying or reordering events converges to the same state, because nothing here
 * depends on the event's payload or on what happened before.
 */
import { LogField } from "../log/log-fields.js";
import {
  diffInScope,
  nodeScope,
  nodeSelectors,
  type PodRef,
  podRefsForEndpoints,
  podScope,
  podSelectors,
} from "../planner/index.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import { type ApplyResult, addSummary, applyPlan, emptySummary } from "./apply-plan.js";
import { deriveDesired, logWarnings, type ReconcileContext } from "./context.js";

/** One pod: its entry is created, updated or deleted to match the pod as the API server has it now. */
export async function reconcilePod(context: ReconcileContext, ref: PodRef): Promise<ApplyResult> {
  const { config, cluster, spire, logger } = context;
  if (!namespaceFilter(config.disabledNamespaces)(ref.namespace))
    return { ok: true, summary: emptySummary() };
  const pod = await cluster.getPod(ref.namespace, ref.name);
  const endpoints =
    pod && config.mode === "reconcile" && config.addPodDnsNames
      ? await cluster.listEndpointsInNamespace(ref.namespace)
      : [];
  const derivation = deriveDesired({ pods: pod ? [pod] : [], nodes: [], endpoints }, config);
  logWarnings(derivation, logger);
  const current = await spire.listEntries({
    selectors: { selectors: podSelectors(ref.namespace, ref.name), match: "exact" },
  });
  if (!current.ok) return { ok: false, error: current.error, summary: emptySummary() };
  const plan = diffInScope(derivation.desired, current.value, context.isOwned, podScope([ref]));
  return applyPlan(
    spire,
    plan,
    logger.child({ [LogField.namespace]: ref.namespace, [LogField.pod]: ref.name }),
    context.metrics,
  );
}

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
 * The pods behind one Endpoints object (reconcile mode with `add_pod_dns_names`): those it targets
 * now and those whose entries still carry its Service names, so a pod that left the Service, or a
 * deleted Endpoints, loses them.
 */
export async function reconcileEndpoints(
  context: ReconcileContext,
  namespace: string,
  name: string,
): Promise<ApplyResult> {
  const { config, cluster, spire } = context;
  const summary = emptySummary();
  if (!config.addPodDnsNames || !namespaceFilter(config.disabledNamespaces)(namespace))
    return { ok: true, summary };
  const endpoints = (await cluster.getEndpoints(namespace, name)) ?? { metadata: { namespace, name } };
  const inNamespace = await spire.listEntries({
    selectors: { selectors: [{ type: "k8s", value: `ns:${namespace}` }], match: "superset" },
  });
  if (!inNamespace.ok) return { ok: false, error: inNamespace.error, summary };
  for (const ref of podRefsForEndpoints(endpoints, inNamespace.value)) {
    const result = await reconcilePod(context, ref);
    addSummary(summary, result.summary);
    if (!result.ok) return { ok: false, error: result.error, summary };
  }
  return { ok: true, summary };
}
