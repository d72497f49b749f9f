/** What the side-by-side benchmark records: one `RunResult` per system run, written to the JSON file. */
import type { PollStats } from "./entry-poller.js";
import type { ParityResult } from "./parity.js";
import type { WindowFigures } from "./process-sampler.js";
import type { Settings } from "./settings.js";
import type { SystemName } from "./system.js";

export type Workload = "W1" | "W2";
export type PhaseName = "cold" | "burst" | "delete";

/** Latency of single pods, from their API call's return to their entry appearing (or going). */
export interface PerPodLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface PhaseResult {
  /** From the phase's start (the system's start; the first create; the first delete) to the last pod's entry. */
  readonly convergenceMs: number;
  /** The poll cycle that saw the last pod reach its state: the resolution of `convergenceMs`. */
  readonly resolutionMs?: number;
  readonly perPod?: PerPodLatency;
  /** How long the phase's API calls took (creates and status patches; deletes). */
  readonly apiMs?: number;
  /** CPU and memory from the phase's start until no entry had changed for the quiet period. */
  readonly usage: WindowFigures;
  readonly entriesAtEnd: number;
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
  poll?: PollStats;
}

export interface Results {
  readonly settings: Settings;
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
