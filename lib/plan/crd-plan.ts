/**
 * What a crd-mode resync would write (pure): first the SpiffeID resources the pod and node handlers
 * keep (created, rewritten, deleted; manual SpiffeIDs are never touched), then the SPIRE entries
 * the resulting SpiffeIDs call for, with crd-mode ownership (entries recorded in a SpiffeID's
 * `status.entryId`, or of the registrar's own shape).
 */
import { type DesiredSpiffeId, deriveCrdSpiffeIds } from "../planner/derive-crd.js";
import { diff, type Plan } from "../planner/diff.js";
import type { Entry, EntrySpec } from "../planner/entry.js";
import type { ClusterSnapshot } from "../planner/k8s-objects.js";
import type { PlannerConfig } from "../planner/planner-config.js";
import type { SpiffeId, SpiffeIdSpec } from "../planner/spiffeid.js";
import { needsRewrite } from "../planner/spiffeid-changes.js";
import { spiffeIdToEntrySpec } from "../planner/spiffeid-entry.js";
import { isDerivedFor } from "../planner/spiffeid-owner.js";
import { isCrdShapedEntry } from "../planner/spiffeid-stale-entries.js";
import type { Warning } from "../planner/warning.js";

export interface SpiffeIdChange {
  readonly namespace: string;
  readonly name: string;
  readonly spec: SpiffeIdSpec;
}

export interface CrdPlan {
  readonly spiffeIds: {
    readonly create: SpiffeIdChange[];
    readonly update: SpiffeIdChange[];
    readonly delete: SpiffeIdChange[];
  };
  readonly entries: Plan;
  readonly warnings: Warning[];
}

export interface CrdPlanInput {
  readonly snapshot: ClusterSnapshot;
  readonly spiffeIds: readonly SpiffeId[];
  readonly entries: readonly Entry[];
  readonly config: PlannerConfig & { readonly podController: boolean };
  /** Where node SpiffeIDs live (the registrar's namespace). */
  readonly registrarNamespace: string;
}

export function planCrd(input: CrdPlanInput): CrdPlan {
  const { config } = input;
  const key = (namespace: string, name: string) => `${namespace}/${name}`;
  const derivation = config.podController
    ? deriveCrdSpiffeIds(input.snapshot, config, input.registrarNamespace)
    : { desired: [] as DesiredSpiffeId[], warnings: [] as Warning[] };
  const warnings = [...derivation.warnings];
  const existing = new Map(input.spiffeIds.map((s) => [key(s.metadata.namespace, s.metadata.name), s]));
  const desired = new Map(derivation.desired.map((d) => [key(d.metadata.namespace, d.metadata.name), d]));
  const change = (d: {
    metadata: { namespace: string; name: string };
    spec: SpiffeIdSpec;
  }): SpiffeIdChange => ({
    namespace: d.metadata.namespace,
    name: d.metadata.name,
    spec: d.spec,
  });

  const create: SpiffeIdChange[] = [];
  const update: SpiffeIdChange[] = [];
  const remove: SpiffeIdChange[] = [];
  /** The SpiffeIDs after the writes: what the entries follow. */
  const resulting: Array<{ ref: string; spec: SpiffeIdSpec; entryId?: string }> = [];
  for (const [id, want] of desired) {
    const have = existing.get(id);
    if (have === undefined) create.push(change(want));
    else if (needsRewrite(want, have)) update.push(change(want));
    resulting.push({
      ref: id,
      spec: want.spec,
      ...(have?.status?.entryId ? { entryId: have.status.entryId } : {}),
    });
  }
  for (const [id, have] of existing) {
    if (desired.has(id)) continue;
    const derived = isDerivedFor(have, "Pod") || isDerivedFor(have, "Node");
    if (derived && config.podController) remove.push(change(have));
    else
      resulting.push({
        ref: id,
        spec: have.spec,
        ...(have.status?.entryId ? { entryId: have.status.entryId } : {}),
      });
  }

  const wantedEntries: EntrySpec[] = [];
  for (const spiffeId of resulting) {
    const spec = spiffeIdToEntrySpec(spiffeId.spec);
    if (spec.ok) wantedEntries.push(spec.value);
    else
      warnings.push({
        code: "invalid-spiffe-id",
        object: { kind: "Config", name: spiffeId.spec.spiffeId },
        message: spec.error,
      });
  }
  const recorded = new Set(resulting.flatMap((s) => (s.entryId ? [s.entryId] : [])));
  const crdShaped = isCrdShapedEntry(config);
  const entries = diff(wantedEntries, input.entries, (entry) => recorded.has(entry.id) || crdShaped(entry));
  const byName = (a: SpiffeIdChange, b: SpiffeIdChange) =>
    key(a.namespace, a.name) < key(b.namespace, b.name) ? -1 : 1;
  return {
    spiffeIds: { create: create.sort(byName), update: update.sort(byName), delete: remove.sort(byName) },
    entries,
    warnings,
  };
}
