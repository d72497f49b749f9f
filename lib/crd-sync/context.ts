/**
 * What CRD mode's handlers need: configuration, the cluster reader, the SpiffeID API, the SPIRE client, the
 * registrar's namespace (home of node SpiffeIDs), a logger and a clock. Functions build one per process.
 */
import type { Logger } from "pino";
import type { ClusterReader } from "../k8s/reader.js";
import type { SpiffeIdApi } from "../k8s/spiffeids.js";
import type { PlannerConfig } from "../planner/planner-config.js";
import type { SpireClient } from "../spire/client.js";

export interface CrdContext {
  readonly config: PlannerConfig;
  /** `pod_controller`: derive SpiffeIDs for pods and nodes (otherwise only SpiffeIDs -> SPIRE). */
  readonly podController: boolean;
  readonly registrarNamespace: string;
  readonly cluster: ClusterReader;
  readonly spiffeIds: SpiffeIdApi;
  readonly spire: SpireClient;
  readonly logger: Logger;
  /** Milliseconds since the epoch (condition times, durations). */
  readonly now: () => number;
}

/** What a CRD-mode handler changed. */
export interface CrdSummary {
  entriesCreated: number;
  entriesUpdated: number;
  entriesDeleted: number;
  /** Entries SPIRE refused (reported in the SpiffeID's Ready condition, not retried). */
  entriesRejected: number;
  spiffeIdsCreated: number;
  spiffeIdsUpdated: number;
  spiffeIdsDeleted: number;
  statusWrites: number;
}

/**
 * A handler's result. Kubernetes API failures are thrown (KubeApiError); SPIRE failures that must be
 * retried are returned, with `retryable` saying whether the same request can succeed later.
 */
export type CrdResult =
  | { readonly ok: true; readonly summary: CrdSummary }
  | {
      readonly ok: false;
      readonly message: string;
      readonly retryable: boolean;
      readonly cause?: unknown;
      readonly summary: CrdSummary;
    };

export function emptyCrdSummary(): CrdSummary {
  return {
    entriesCreated: 0,
    entriesUpdated: 0,
    entriesDeleted: 0,
    entriesRejected: 0,
    spiffeIdsCreated: 0,
    spiffeIdsUpdated: 0,
    spiffeIdsDeleted: 0,
    statusWrites: 0,
  };
}

/** Adds `more` into `total`. */
export function addCrdSummary(total: CrdSummary, more: CrdSummary): void {
  for (const field of Object.keys(total) as (keyof CrdSummary)[]) total[field] += more[field];
}
