/**
 * What the reconcile shell needs: the configuration, a cluster reader, a SPIRE client, the
 * ownership rule of the mode, and a logger. Functions build one per process and pass it down.
 */
import type { Logger } from "pino";
import type { ClusterReader } from "../k8s/reader.js";
import { LogField } from "../log/log-fields.js";
import type { Metrics } from "../metrics/metrics.js";
import type { EntrySpec } from "../planner/entry.js";
import { deriveReconcileEntries, deriveWebhookEntries } from "../planner/index.js";
import type { ClusterSnapshot } from "../planner/k8s-objects.js";
import type { IsOwned } from "../planner/ownership.js";
import type { PlannerConfig } from "../planner/planner-config.js";
import type { Derivation } from "../planner/warning.js";
import { describeRef } from "../planner/warning.js";
import type { SpireClient } from "../spire/client.js";

export interface ReconcileContext {
  readonly config: PlannerConfig;
  readonly cluster: ClusterReader;
  readonly spire: SpireClient;
  readonly isOwned: IsOwned;
  readonly logger: Logger;
  readonly metrics?: Metrics;
}

/** The entries a reconcile- or webhook-mode registrar wants for a snapshot (or part of one). */
export function deriveDesired(snapshot: ClusterSnapshot, config: PlannerConfig): Derivation<EntrySpec> {
  if (config.mode === "webhook") return deriveWebhookEntries(snapshot.pods, config);
  if (config.mode === "reconcile") return deriveReconcileEntries(snapshot, config);
  throw new Error(`deriveDesired: mode ${config.mode} derives SpiffeID resources, not entries`);
}

/** Logs what a derivation had to leave out, one line per object. */
export function logWarnings(derivation: Derivation<unknown>, logger: Logger): void {
  for (const warning of derivation.warnings) {
    logger.warn(
      {
        [LogField.kind]: warning.object.kind,
        [LogField.namespace]: warning.object.namespace,
        [LogField.name]: warning.object.name,
        code: warning.code,
      },
      `${describeRef(warning.object)}: ${warning.message}`,
    );
  }
}
