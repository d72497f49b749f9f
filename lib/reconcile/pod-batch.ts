/**
 * Reconciles the pods of many events at once (reconcile and webhook modes): each pod is re-read from the
 * API server and its entries derived, as for a single event; then the SPIRE side is shared: one lookup
 * for all the pods' entries, one plan, and the client's batched writes. A pod whose re-read state still
 * derives what its last reconcile wrote (ReconcileMemo) is not looked up in SPIRE at all.
 */
import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { LogField } from "../log/log-fields.js";
import type { Entry, EntrySpec, Selector } from "../planner/entry.js";
import { specsFingerprint } from "../planner/fingerprint.js";
import {
  diffInScope,
  type Plan,
  type PodRef,
  podRefFromSelectors,
  podScope,
  podSelectors,
  restrictToScope,
} from "../planner/index.js";
import type { Pod } from "../planner/k8s-objects.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import type { ServiceEndpoints } from "../planner/service-endpoints.js";
import { chunk, mapBounded } from "../spire/bounded.js";
import type { SpireClient, SpireResult } from "../spire/client.js";
import { type ApplySummary, applyPlan, emptySummary } from "./apply-plan.js";
import { deriveDesired, logWarnings, type ReconcileContext } from "./context.js";
import type { ReconcileMemo } from "./reconcile-memo.js";

/** What one event's reconcile did: `error` is a SpireError or KubeApiError the caller answers for. */
export type EventOutcome =
  | { readonly ok: true; readonly summary: ApplySummary }
  | { readonly ok: false; readonly error: unknown; readonly summary: ApplySummary };

/** Pod reads in flight at once per batch (they share the client's keep-alive pool). */
const READ_CONCURRENCY = 16;
/** Pod names per ListEntries lookup: keeps each request small however large the batch. */
const NAMES_PER_LOOKUP = 100;

/** The memo key of a pod. */
export function podKey(ref: PodRef): string {
  return `Pod/${ref.namespace}/${ref.name}`;
}

/** Reconciles `refs` (distinct pods); one outcome per ref, in order. Never rejects for expected failures. */
export async function reconcilePods(
  context: ReconcileContext,
  refs: readonly PodRef[],
  memo: ReconcileMemo,
): Promise<EventOutcome[]> {
  const { config, cluster, logger } = context;
  const outcomes: EventOutcome[] = refs.map(() => ({ ok: true, summary: emptySummary() }));
  const isEnabled = namespaceFilter(config.disabledNamespaces);
  const enabled = refs.flatMap((ref, index) => (isEnabled(ref.namespace) ? [index] : []));

  const reads = await mapBounded(enabled, READ_CONCURRENCY, async (index) => {
    const ref = refs[index] as PodRef;
    try {
      return { index, pod: await cluster.getPod(ref.namespace, ref.name) };
    } catch (error) {
      outcomes[index] = { ok: false, error, summary: emptySummary() };
      return undefined;
    }
  });
  const read = reads.filter((r): r is { index: number; pod: Pod | undefined } => r !== undefined);

  const endpoints = await endpointsByNamespace(context, read, refs, outcomes);
  const toLookUp: Array<{ index: number; desired: EntrySpec[]; fingerprint: string }> = [];
  for (const { index, pod } of read) {
    const ref = refs[index] as PodRef;
    if (outcomes[index]?.ok === false) continue;
    const derivation = deriveDesired(
      { pods: pod ? [pod] : [], nodes: [], endpoints: endpoints.get(ref.namespace) ?? [] },
      config,
    );
    logWarnings(derivation, logger);
    const desired = restrictToScope(derivation.desired, podScope([ref]));
    const fingerprint = specsFingerprint(desired);
    if (!memo.isCurrent(podKey(ref), fingerprint)) toLookUp.push({ index, desired, fingerprint });
  }
  if (toLookUp.length === 0) return outcomes;

  const lookedUpRefs = toLookUp.map(({ index }) => refs[index] as PodRef);
  const current = await listPodEntries(context.spire, lookedUpRefs);
  if (!current.ok) {
    for (const { index } of toLookUp) {
      memo.forget(podKey(refs[index] as PodRef));
      outcomes[index] = { ok: false, error: current.error, summary: emptySummary() };
    }
    return outcomes;
  }
  const desired = toLookUp.flatMap((item) => item.desired);
  const plan = diffInScope(desired, current.value, context.isOwned, podScope(lookedUpRefs));
  const applied = await applyPlan(context.spire, plan, logger, context.metrics);
  const perPod = summariesByPod(plan, applied.refused ?? new Set());
  for (const { index, fingerprint } of toLookUp) {
    const ref = refs[index] as PodRef;
    if (!applied.ok) {
      // Which of the batch's writes landed is unknown: the next event or resync finds out.
      memo.forget(podKey(ref));
      outcomes[index] = { ok: false, error: applied.error, summary: emptySummary() };
      continue;
    }
    const summary = perPod.get(podKey(ref)) ?? emptySummary();
    if (summary.failed === 0) memo.remember(podKey(ref), fingerprint);
    else memo.forget(podKey(ref));
    outcomes[index] = { ok: true, summary };
    if (summary.created + summary.updated + summary.deleted + summary.failed > 0) {
      logger.debug(
        { [LogField.namespace]: ref.namespace, [LogField.pod]: ref.name, ...summary },
        "pod entries",
      );
    }
  }
  return outcomes;
}

/**
 * The Services' endpoints of each namespace of the re-read pods, when the mode derives DNS names from them
 * (reconcile `add_pod_dns_names`): read once per namespace per batch. A failed read fails that
 * namespace's pods.
 */
async function endpointsByNamespace(
  context: ReconcileContext,
  read: ReadonlyArray<{ index: number; pod: Pod | undefined }>,
  refs: readonly PodRef[],
  outcomes: EventOutcome[],
): Promise<Map<string, ServiceEndpoints[]>> {
  const byNamespace = new Map<string, ServiceEndpoints[]>();
  const { config, cluster } = context;
  if (config.mode !== "reconcile" || !config.addPodDnsNames) return byNamespace;
  const namespaces = [...new Set(read.filter((r) => r.pod).map((r) => (refs[r.index] as PodRef).namespace))];
  const services = serviceEndpointsReader(cluster, config.endpointsSource);
  await mapBounded(namespaces, READ_CONCURRENCY, async (namespace) => {
    try {
      byNamespace.set(namespace, await services.inNamespace(namespace));
    } catch (error) {
      for (const { index } of read) {
        if ((refs[index] as PodRef).namespace === namespace) {
          outcomes[index] = { ok: false, error, summary: emptySummary() };
        }
      }
    }
  });
  return byNamespace;
}

/**
 * The SPIRE entries of the pods' scopes (and possibly others, which the scoped diff ignores): one
 * exact-selector lookup for a single pod, else lookups of entries having any of the pods' names.
 */
export async function listPodEntries(
  spire: SpireClient,
  refs: readonly PodRef[],
): Promise<SpireResult<Entry[]>> {
  const only = refs.length === 1 ? refs[0] : undefined;
  if (only) {
    return spire.listEntries({
      selectors: { selectors: podSelectors(only.namespace, only.name), match: "exact" },
    });
  }
  const names = [...new Set(refs.map((ref) => ref.name))];
  const pages = await Promise.all(
    chunk(names, NAMES_PER_LOOKUP).map((group) =>
      spire.listEntries({
        selectors: {
          selectors: group.map((name): Selector => ({ type: "k8s", value: `pod-name:${name}` })),
          match: "any",
        },
      }),
    ),
  );
  const byId = new Map<string, Entry>();
  for (const page of pages) {
    if (!page.ok) return page;
    for (const entry of page.value) byId.set(entry.id, entry);
  }
  return { ok: true, value: [...byId.values()] };
}

/** What the plan did to each pod's entries, by pod key (creates, updates, deletes; refused ones failed). */
function summariesByPod(plan: Plan, refused: ReadonlySet<EntrySpec>): Map<string, ApplySummary> {
  const byPod = new Map<string, ApplySummary>();
  const count = (item: EntrySpec, action: "created" | "updated" | "deleted") => {
    const ref = podRefFromSelectors(item.selectors);
    if (ref === undefined) return;
    const key = podKey(ref);
    const summary = byPod.get(key) ?? emptySummary();
    byPod.set(key, summary);
    summary[refused.has(item) ? "failed" : action]++;
  };
  for (const item of plan.create) count(item, "created");
  for (const item of plan.update) count(item, "updated");
  for (const item of plan.delete) count(item, "deleted");
  return byPod;
}
