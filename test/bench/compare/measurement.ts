/**
 * How bench:compare measures when entries are written: from each run's spire-server audit log,
 * with the server logging at INFO (DEBUG logging would cost the server CPU in every run). Written
 * into the results and printed under the table.
 */
import type { SpireServerOptions } from "../../e2e/harness/spire.js";

/** The logging every run's spire-server is started with. */
export const SPIRE_SERVER_LOGGING = {
  logLevel: "INFO",
  logFormat: "json",
  auditLog: true,
} as const satisfies SpireServerOptions;

/** The method, as recorded in the results. */
export interface Measurement {
  readonly method: "spire-server audit log";
  readonly spireServer: typeof SPIRE_SERVER_LOGGING;
  readonly description: string;
}

export const MEASUREMENT: Measurement = {
  method: "spire-server audit log",
  spireServer: SPIRE_SERVER_LOGGING,
  description:
    "per-pod times are the spire-server's own (wall clock, ns) audit-log times of the first successful " +
    "create of a pod's entry and of the deletion of its entries (ids from one ListEntries before the " +
    "deletes), minus the Date.now() stamp (1 ms) of the pod's API call; no polling; one ListEntries " +
    "after each phase's window checks the entry set",
};
