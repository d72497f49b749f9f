/** What the side-by-side benchmark records: one `RunResult` per system run, written to the JSON file. */

import type { RpcCounts } from "../scale/spire-proxy.js";
import type { AuditCounts } from "./entry-audit.js";
import type { Measurement } from "./measurement.js";
import type { ParityResult } from "./parity.js";
import type { WindowFigures } from "./process-sampler.js";
import type { RegistrarCounts } from "./registrar-metrics.js";
import type { Settings } from "./settings.js";
import type { SystemName } from "./system.js";

export type Workload = "W1" | "W2";
export type PhaseName = "cold" | "burst" | "delete";

/**
 * Latency of single pods, from their API call's return to the server's time of their entry's
 * create (or delete). It can be negative: a watcher may see the pod before the benchmark's own
 * client has read the API server's answer.
 */
export interface PerPodLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly minMs: number;
}

export interface PhaseResult {
  /**
   * From the phase's start (the system's start; the first create; the first delete) to the
   * server's time of the last pod's entry create (or delete), from its audit log.
   */
  readonly convergenceMs: number;
  readonly perPod?: PerPodLatency;
  /** How long the phase's API calls took (creates and status patches; deletes). */
  readonly apiMs?: number;
  /** CPU and memory from the phase's start until no entry had changed for the quiet period. */
  readonly usage: WindowFigures;
  /** The audit log's lines in the same window, by kind. */
  readonly audit: AuditCounts;
  /** Entries listed once the phase had settled. */
  readonly entriesAtEnd: number;
  /**
   * The project's own counters over the phase (events handled, SPIRE RPCs sent), read from its
   * /metrics once the phase had settled; other systems have none.
   */
  registrar?: RegistrarCounts;
  /** With BENCH_SPIRE_PROXY: the SPIRE RPCs the counting proxy passed over the phase, by method. */
  spireRpcs?: RpcCounts;
}

export interface RunResult {
  readonly workload: Workload;
  readonly round: number;
  readonly system: SystemName;
  /** Position in its round (rotated each round). */
  readonly position: number;
  ok: boolean;
  error?: string;
  /** Where the logs of a failed run were copied. */
  logsKept?: string;
  readonly startedAt: string;
  readonly loadavgStart: readonly number[];
  loadavgEnd?: readonly number[];
  readonly phases: Partial<Record<PhaseName, PhaseResult>>;
  /** The whole run, from the system's start to the end of its last phase. */
  run?: WindowFigures;
  /** The audit log's lines over the whole run, from the server's start. */
  audit?: AuditCounts;
}

export interface Results {
  readonly settings: Settings;
  /** How entry writes were timed. */
  readonly measurement: Measurement;
  readonly machine: {
    readonly cpus: number;
    readonly node: string;
    readonly kernel: string;
    readonly loadavgStart: readonly number[];
    loadavgEnd?: readonly number[];
  };
  readonly startedAt: string;
  finishedAt?: string;
  readonly skipped: Partial<Record<SystemName, string>>;
  readonly runs: RunResult[];
  readonly parity: ParityResult[];
  /** Cluster setup timings (not part of any system's figures). */
  readonly setup: Record<string, number>;
}
