/**
 * The statuses SCM writes back each pass: ClusterSPIFFEID `status.stats` and ClusterStaticEntry `status`.
 * The planner computes everything it can know before writing to SPIRE; `withApplyOutcome` adds what only
 * the writes tell (`entryFailures`, and a static entry's `set`).
 */
import type { ClusterStaticEntryStatus } from "./cluster-static-entry.js";

/** `status.stats` of a ClusterSPIFFEID (JSON keys as SCM writes them). */
export interface ClusterSpiffeIdStats {
  readonly namespacesSelected: number;
  readonly namespacesIgnored: number;
  readonly podsSelected: number;
  readonly podEntryRenderFailures: number;
  readonly entriesMasked: number;
  readonly entriesToSet: number;
  readonly entryFailures: number;
}

export const ZERO_STATS: ClusterSpiffeIdStats = {
  namespacesSelected: 0,
  namespacesIgnored: 0,
  podsSelected: 0,
  podEntryRenderFailures: 0,
  entriesMasked: 0,
  entriesToSet: 0,
  entryFailures: 0,
};

/** What SPIRE answered for the entries of one declarer (a CR, by UID). */
export interface ApplyOutcome {
  /** Create or update calls that failed for the CR's entries (a failed batch RPC counts each of its entries). */
  readonly entryFailures: ReadonlyMap<string, number>;
  /** CRs with an entry created successfully in this pass (a ClusterStaticEntry's `set`). */
  readonly created: ReadonlySet<string>;
}

/** The ClusterSPIFFEID stats once the writes are done. */
export function statsAfterApply(
  uid: string,
  stats: ClusterSpiffeIdStats,
  outcome: ApplyOutcome,
): ClusterSpiffeIdStats {
  return { ...stats, entryFailures: stats.entryFailures + (outcome.entryFailures.get(uid) ?? 0) };
}

/** A ClusterStaticEntry's status once the writes are done: `set` only when this pass created its entry. */
export function staticStatusAfterApply(
  uid: string,
  status: ClusterStaticEntryStatus,
  outcome: ApplyOutcome,
): ClusterStaticEntryStatus {
  return { ...status, set: outcome.created.has(uid) };
}

/**
 * Whether a stored status (its JSON) differs from the computed one; SCM writes only then. An absent field
 * reads as its zero value, as Go decodes it.
 */
export function statusChanged(stored: unknown, next: object): boolean {
  const fields = stored !== null && typeof stored === "object" ? (stored as Record<string, unknown>) : {};
  return Object.entries(next).some(
    ([key, value]) => (fields[key] ?? (typeof value === "number" ? 0 : false)) !== value,
  );
}
