/**
 * Whether a derived SpiffeID (pod or node) must be rewritten: every spec field the registrar sets is
 * compared — the Go pod controller compared only `spec.spiffeId`, so DNS names, federation and a new parent
 * never reached existing resources (reference §7). DNS names compare in order (the first is the CN).
 */
import type { DesiredSpiffeId } from "./derive-crd.js";
import type { SpiffeId, SpiffeIdSelector, SpiffeIdSpec } from "./spiffeid.js";

export type SpiffeIdSpecField =
  | "spiffeId"
  | "parentId"
  | "selector"
  | "dnsNames"
  | "federatesWith"
  | "downstream";

/** The spec fields of `current` that differ from `desired`; absent lists equal empty ones. */
export function spiffeIdSpecChanges(desired: SpiffeIdSpec, current: SpiffeIdSpec): SpiffeIdSpecField[] {
  const changed: SpiffeIdSpecField[] = [];
  if (desired.spiffeId !== current.spiffeId) changed.push("spiffeId");
  if (desired.parentId !== current.parentId) changed.push("parentId");
  if (!sameSelector(desired.selector ?? {}, current.selector ?? {})) changed.push("selector");
  if (!sameList(desired.dnsNames ?? [], current.dnsNames ?? [])) changed.push("dnsNames");
  if (!sameList(desired.federatesWith ?? [], current.federatesWith ?? [])) changed.push("federatesWith");
  if ((desired.downstream ?? false) !== (current.downstream ?? false)) changed.push("downstream");
  return changed;
}

/** True when the existing resource needs a write: a spec change or a missing registrar label. */
export function needsRewrite(desired: DesiredSpiffeId, current: SpiffeId): boolean {
  if (spiffeIdSpecChanges(desired.spec, current.spec).length > 0) return true;
  const labels = current.metadata.labels ?? {};
  return Object.entries(desired.metadata.labels).some(([key, value]) => labels[key] !== value);
}

/**
 * `current` with the registrar-managed fields of `desired` (spec, labels, owner) and everything else kept:
 * finalizers, other labels and owners, status, resourceVersion (for optimistic concurrency).
 */
export function withDesired(current: SpiffeId, desired: DesiredSpiffeId): SpiffeId {
  const ownerUids = new Set(desired.metadata.ownerReferences.map((owner) => owner.uid));
  const otherOwners = (current.metadata.ownerReferences ?? []).filter(
    (owner) => owner.controller !== true && !ownerUids.has(owner.uid),
  );
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: { ...current.metadata.labels, ...desired.metadata.labels },
      ownerReferences: [...otherOwners, ...desired.metadata.ownerReferences],
    },
    spec: desired.spec,
  };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

// Canonical JSON of the selector: keys sorted, empty values dropped (an absent field and "" mean the same).
function selectorKey(selector: SpiffeIdSelector): string {
  const entries = Object.entries(selector)
    .filter(
      ([, value]) => value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0),
    )
    .map(([key, value]) => [key, isRecord(value) ? sortedRecord(value) : value] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(entries);
}

function sameSelector(a: SpiffeIdSelector, b: SpiffeIdSelector): boolean {
  return selectorKey(a) === selectorKey(b);
}

function isRecord(value: unknown): value is Record<string, string> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sortedRecord(record: Record<string, string>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
