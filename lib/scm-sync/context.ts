/**
 * What cluster-spiffeid mode's handlers need: SCM's settings, the Kubernetes reads and status writes, the
 * SPIRE entry and trust domain clients, a logger, metrics and a UUID source. Functions build one per process.
 */
import type { Logger } from "pino";
import type { Metrics, PassPhase } from "../metrics/metrics.js";
import type { ReconcileMemo } from "../reconcile/reconcile-memo.js";
import type { CurrentRelationship, FederationRelationship, ProbedField, ScmConfig } from "../scm/index.js";

import type { SpireClient, SpireResult } from "../spire/client.js";
import type { ScmCluster } from "./cluster.js";

/** One relationship's outcome in a batch write. */
export type RelationshipResult = { readonly ok: true } | { readonly ok: false; readonly message: string };

/** SPIRE's federation relationships as the federation pass reads and writes them (TrustDomain API). */
export interface FederationApi {
  list(): Promise<SpireResult<CurrentRelationship[]>>;
  create(relationships: readonly FederationRelationship[]): Promise<SpireResult<RelationshipResult[]>>;
  update(relationships: readonly FederationRelationship[]): Promise<SpireResult<RelationshipResult[]>>;
  delete(trustDomains: readonly string[]): Promise<SpireResult<RelationshipResult[]>>;
}

export interface ScmSyncContext {
  readonly config: ScmConfig;
  readonly cluster: ScmCluster;
  readonly spire: SpireClient;
  readonly federation: FederationApi;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** A fresh UUID v4 (IDs of new entries when `entryIDPrefix` is set). */
  readonly newUuid: () => string;
  /** The cluster domain: configured, or looked up once (SCM's CNAME rule; "" when unknown). */
  readonly clusterDomain: () => Promise<string>;
  /** Entry fields the SPIRE server does not support (SCM probes them; every supported SPIRE has all three). */
  readonly unsupportedFields: ReadonlySet<ProbedField>;
  /** Milliseconds (phase durations). */
  readonly now: () => number;
  /**
   * The `metadata.generation` of each ClusterSPIFFEID and ClusterStaticEntry (by UID) as this process's last
   * successful full pass read it. An update event for a resource still at that generation changed only its
   * status (a full pass's own status write): it needs no pass. Per process; a miss only costs a full pass.
   */
  readonly passedGenerations: Map<string, number>;
  /**
   * By pod UID, the digest (pod-digest.ts) of the pod as this process's last successful pass for it read it,
   * for a while: a Pod update event whose object has that digest changed only the pod's status, so it needs no
   * read and no pass. Absent: every Pod event runs its pass.
   */
  readonly podMemory?: ReconcileMemo;
}

/** What a pass changed. */
export interface ScmSummary {
  entriesCreated: number;
  entriesUpdated: number;
  entriesDeleted: number;
  /** Creates and updates SPIRE refused (counted in the declaring ClusterSPIFFEID's `entryFailures`). */
  entriesFailed: number;
  entriesUnchanged: number;
  /** Pods a ClusterSPIFFEID selected but could not render an entry for. */
  renderFailures: number;
  statusWrites: number;
  relationshipsCreated: number;
  relationshipsUpdated: number;
  relationshipsDeleted: number;
  relationshipsFailed: number;
}

/**
 * A pass's result. Kubernetes API failures are thrown (KubeApiError); a SPIRE failure is returned with
 * whether the same request can succeed later, and what was written before it.
 */
export type ScmResult =
  | { readonly ok: true; readonly summary: ScmSummary }
  | {
      readonly ok: false;
      readonly message: string;
      readonly retryable: boolean;
      readonly summary: ScmSummary;
    };

export function emptyScmSummary(): ScmSummary {
  return {
    entriesCreated: 0,
    entriesUpdated: 0,
    entriesDeleted: 0,
    entriesFailed: 0,
    entriesUnchanged: 0,
    renderFailures: 0,
    statusWrites: 0,
    relationshipsCreated: 0,
    relationshipsUpdated: 0,
    relationshipsDeleted: 0,
    relationshipsFailed: 0,
  };
}

/** Runs one phase of a pass and records its duration. */
export async function phase<T>(
  context: Pick<ScmSyncContext, "metrics" | "now">,
  scope: "pod" | "full",
  name: PassPhase,
  work: () => Promise<T> | T,
): Promise<T> {
  const started = context.now();
  try {
    return await work();
  } finally {
    context.metrics?.passPhase(scope, name, (context.now() - started) / 1000);
  }
}
