/**
 * CRD mode's full resync (DESIGN §2.5), in three steps:
 *  (a) pods and nodes -> SpiffeIDs (with `pod_controller`): every derived SpiffeID is created or rewritten;
 *      registrar pod SpiffeIDs (any namespace) and node SpiffeIDs (registrar namespace) that nothing derives
 *      any more are deleted and finalized;
 *  (b) SpiffeIDs -> entries: every SpiffeID is synced as on its event, against one ListEntries;
 *  (c) stale entries: entries with the registrar's CRD shape (spiffeid-stale-entries.ts) that no SpiffeID
 *      records in `status.entryId` are deleted.
 * Kubernetes failures throw (KubeApiError); a SPIRE failure stops the resync before (c), so a partial view
 * never deletes anything.
 */
import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { LogField } from "../log/log-fields.js";
import { deriveCrdSpiffeIds } from "../planner/derive-crd.js";
import type { SpiffeId } from "../planner/spiffeid.js";
import { isDerivedFor } from "../planner/spiffeid-owner.js";
import { staleCrdEntries } from "../planner/spiffeid-stale-entries.js";
import { logWarnings } from "../reconcile/context.js";
import { mapBounded } from "../spire/bounded.js";
import {
  addCrdSummary,
  type CrdContext,
  type CrdResult,
  type CrdSummary,
  emptyCrdSummary,
} from "./context.js";
import { type DerivedTarget, ensureDerivedSpiffeId } from "./ensure-spiffeid.js";
import { type SyncResult, syncSpiffeId } from "./sync-spiffeid.js";

export interface CrdResyncSummary extends CrdSummary {
  pods: number;
  nodes: number;
  spiffeIds: number;
  entries: number;
  warnings: number;
  durationMs: number;
}

export type CrdResyncResult =
  | { readonly ok: true; readonly summary: CrdResyncSummary }
  | {
      readonly ok: false;
      readonly message: string;
      readonly retryable: boolean;
      readonly summary: CrdResyncSummary;
    };

/** SpiffeIDs written or synced at once; each is a few small requests. */
const CONCURRENCY = 8;

export async function resyncCrd(context: CrdContext): Promise<CrdResyncResult> {
  const started = context.now();
  const summary: CrdResyncSummary = {
    ...emptyCrdSummary(),
    pods: 0,
    nodes: 0,
    spiffeIds: 0,
    entries: 0,
    warnings: 0,
    durationMs: 0,
  };
  const finish = (failure?: { message: string; retryable: boolean }): CrdResyncResult => {
    summary.durationMs = context.now() - started;
    return failure ? { ok: false, ...failure, summary } : { ok: true, summary };
  };

  if (context.podController) {
    const failure = await deriveStep(context, summary);
    if (failure) return finish(failure);
  }

  const [spiffeIds, entries] = await Promise.all([context.spiffeIds.list(), context.spire.listEntries()]);
  if (!entries.ok) return finish({ message: entries.error.message, retryable: entries.error.retryable });
  summary.spiffeIds = spiffeIds.length;
  summary.entries = entries.value.length;
  const byId = new Map(entries.value.map((entry) => [entry.id, entry]));
  const synced = await runAll(spiffeIds, (spiffeId) => syncSpiffeId(context, spiffeId, byId), summary);
  if (!synced.ok) return finish(synced);

  // Recorded ids: what the syncs just wrote, plus a fresh list (SpiffeIDs created meanwhile by events).
  const recorded = new Set<string>(synced.entryIds);
  for (const spiffeId of await context.spiffeIds.list()) {
    if (spiffeId.status?.entryId) recorded.add(spiffeId.status.entryId);
  }
  const stale = staleCrdEntries(entries.value, recorded, context.config);
  if (stale.length > 0) {
    const deleted = await context.spire.deleteEntries(stale.map((entry) => entry.id));
    if (!deleted.ok) return finish({ message: deleted.error.message, retryable: deleted.error.retryable });
    for (const [i, item] of deleted.value.entries()) {
      if (item.ok) {
        if (item.existed) summary.entriesDeleted++;
      } else {
        context.logger.warn(`SPIRE refused to delete stale entry ${stale[i]?.id}: ${item.message}`);
      }
    }
    context.logger.info({ [LogField.deleted]: stale.length }, "deleted entries no SpiffeID records");
  }
  return finish();
}

/** Step (a): SpiffeIDs for every pod and node, and none for pods and nodes that are gone. */
async function deriveStep(
  context: CrdContext,
  summary: CrdResyncSummary,
): Promise<{ message: string; retryable: boolean } | undefined> {
  const { cluster, config } = context;
  const [pods, nodes, endpoints, existing] = await Promise.all([
    cluster.listPods(),
    cluster.listNodes(),
    config.addSvcDnsName ? serviceEndpointsReader(cluster, config.endpointsSource).all() : [],
    context.spiffeIds.list(),
  ]);
  summary.pods = pods.length;
  summary.nodes = nodes.length;
  const derivation = deriveCrdSpiffeIds({ pods, nodes, endpoints }, config, context.registrarNamespace);
  logWarnings(derivation, context.logger);
  summary.warnings = derivation.warnings.length;

  const byName = new Map(existing.map((spiffeId) => [nameKey(spiffeId), spiffeId]));
  const terminating = new Set(
    pods
      .filter((pod) => pod.metadata?.deletionTimestamp !== undefined)
      .map((pod) => `${pod.metadata?.namespace}/${pod.metadata?.name}`),
  );
  const wanted = new Set<string>();
  const targets: { target: DerivedTarget; known: SpiffeId | null }[] = derivation.desired.map((desired) => {
    const key = nameKey(desired);
    wanted.add(key);
    const kind = desired.metadata.ownerReferences[0]?.kind === "Node" ? ("Node" as const) : ("Pod" as const);
    const ownerTerminating = kind === "Pod" && terminating.has(key);
    return {
      target: { kind, ...desired.metadata, desired, ownerTerminating },
      known: byName.get(key) ?? null,
    };
  });
  for (const spiffeId of existing) {
    if (wanted.has(nameKey(spiffeId))) continue;
    const { namespace, name } = spiffeId.metadata;
    const kind = isDerivedFor(spiffeId, "Pod")
      ? "Pod"
      : isDerivedFor(spiffeId, "Node") && namespace === context.registrarNamespace
        ? "Node"
        : undefined;
    if (kind) targets.push({ target: { kind, namespace, name, desired: undefined }, known: spiffeId });
  }
  const result = await runAll(
    targets,
    ({ target, known }) => ensureDerivedSpiffeId(context, target, known),
    summary,
  );
  return result.ok ? undefined : result;
}

/** Runs `task` over `items` with bounded concurrency; stops starting new ones after a failure. */
async function runAll<T>(
  items: readonly T[],
  task: (item: T) => Promise<CrdResult | SyncResult>,
  summary: CrdSummary,
): Promise<{ ok: true; entryIds: string[] } | { ok: false; message: string; retryable: boolean }> {
  let failure: { message: string; retryable: boolean } | undefined;
  const entryIds: string[] = [];
  await mapBounded(
    items,
    CONCURRENCY,
    async (item) => {
      const result = await task(item);
      addCrdSummary(summary, result.summary);
      if (!result.ok) failure ??= { message: result.message, retryable: result.retryable };
      else if ("entryId" in result && result.entryId) entryIds.push(result.entryId);
    },
    () => failure !== undefined,
  );
  return failure ? { ok: false, ...failure } : { ok: true, entryIds };
}

function nameKey(spiffeId: Pick<SpiffeId, "metadata">): string {
  return `${spiffeId.metadata.namespace}/${spiffeId.metadata.name}`;
}
