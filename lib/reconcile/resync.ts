/**
 * The full resync (DESIGN §2.5): list everything the mode derives from and every SPIRE entry,
 * plan, apply. It repairs whatever events missed: entries of objects deleted while nothing was
 * listening, entries deleted by hand, changes made during a watch gap.
 */
import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { diff } from "../planner/index.js";
import type { SpireError } from "../spire/errors.js";
import { type ApplySummary, applyPlan } from "./apply-plan.js";
import { deriveDesired, logWarnings, type ReconcileContext } from "./context.js";

export interface ResyncSummary extends ApplySummary {
  /** Objects and entries read. */
  pods: number;
  nodes: number;
  entries: number;
  /** Objects skipped with a warning (e.g. an invalid SPIFFE ID). */
  warnings: number;
  durationMs: number;
}

export type ResyncResult =
  | { ok: true; summary: ResyncSummary }
  | { ok: false; error: SpireError; summary: ResyncSummary };

/** Runs one resync. Kubernetes failures throw KubeApiError; SPIRE failures are returned. */
export async function resync(context: ReconcileContext, now: () => number): Promise<ResyncResult> {
  const started = now();
  const { config, cluster, spire, logger } = context;
  const needsNodes = config.mode === "reconcile";
  const needsEndpoints = config.mode === "reconcile" && config.addPodDnsNames;
  // SPIRE first, the cluster after: an entry an event handler creates meanwhile is then either not in
  // `entries` (left alone) or was created for a pod the cluster lists below (kept). Listed the other
  // way round, a pod created between the two lists would lose its new entry until the next event.
  const entries = await spire.listEntries();
  const [pods, nodes, endpoints] = await Promise.all([
    cluster.listPods(),
    needsNodes ? cluster.listNodes() : [],
    needsEndpoints ? serviceEndpointsReader(cluster, config.endpointsSource).all() : [],
  ]);
  const summary: ResyncSummary = {
    created: 0,
    existing: 0,
    updated: 0,
    deleted: 0,
    failed: 0,
    pods: pods.length,
    nodes: nodes.length,
    entries: entries.ok ? entries.value.length : 0,
    warnings: 0,
    durationMs: 0,
  };
  const finish = () => {
    summary.durationMs = now() - started;
    return summary;
  };
  if (!entries.ok) return { ok: false, error: entries.error, summary: finish() };

  const derivation = deriveDesired({ pods, nodes, endpoints }, config);
  logWarnings(derivation, logger);
  summary.warnings = derivation.warnings.length;
  const plan = diff(derivation.desired, entries.value, context.isOwned);
  const applied = await applyPlan(spire, plan, logger, context.metrics);
  Object.assign(summary, applied.summary);
  return applied.ok
    ? { ok: true, summary: finish() }
    : { ok: false, error: applied.error, summary: finish() };
}
