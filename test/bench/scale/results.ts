/** What `npm run bench:scale` records, written to its JSON file and summarised in its table. */
import type { AuditCounts } from "../compare/entry-audit.js";
import type { Measurement } from "../compare/measurement.js";
import type { ParityResult } from "../compare/parity.js";
import type { WindowFigures } from "../compare/process-sampler.js";
import type { PerPodLatency } from "../compare/results.js";
import type { ResyncWindow } from "./resync-windows.js";
import type { ScaleSettings } from "./settings.js";
import type { FullListCall, RpcCounts } from "./spire-proxy.js";

export type ScalePhaseName = "floor" | "cold" | "churn" | "delete";

export interface ScalePhase {
  /** From the phase's start to the server's time of the last entry write it waits for. */
  readonly convergenceMs: number;
  /** From the phase's start to the server's time of its first entry write (cold start, floor). */
  readonly firstWriteMs?: number;
  /** Per pod (churn: bound to a node -> entry created; delete: pod gone -> entry deleted). */
  readonly perPod?: PerPodLatency & { readonly pods: number; readonly unstamped: number };
  /** How long Kubernetes took (churn: the rollouts; delete: until the last pod was gone). */
  readonly clusterMs?: number;
  /** CPU and memory from the phase's start until no entry had been written for the quiet period. */
  readonly usage: WindowFigures;
  /** This process's own CPU seconds in that window (the proxy, the audit follower, the pod watch). */
  readonly benchCpuSeconds: number;
  /** The audit log's lines in that window. */
  readonly audit: AuditCounts;
  /** SPIRE RPCs through the counting proxy in that window. */
  readonly rpcs: RpcCounts;
  /** The entries once it had settled, against the independently derived set. */
  readonly entriesAtEnd: number;
  readonly check: ParityResult;
}

export interface ScaleResults {
  readonly settings: ScaleSettings;
  readonly measurement: Measurement;
  readonly machine: {
    readonly cpus: number;
    /** The benchmark's Node. */
    readonly node: string;
    /** The registrar's (BENCH_NODE) and its NODE_OPTIONS. */
    readonly registrarNode: string;
    readonly kernel: string;
    readonly loadavgStart: readonly number[];
    loadavgEnd?: readonly number[];
  };
  readonly startedAt: string;
  finishedAt?: string;
  /** Set-up steps (cluster, workload, pods running), ms. */
  readonly setup: Record<string, number>;
  readonly phases: Partial<Record<ScalePhaseName, ScalePhase>>;
  /** The registrar over its whole run (cold start to the end of the last phase). */
  run?: WindowFigures;
  /** The registrar's resyncs (from its log) and the ListEntries calls without a filter. */
  resyncs?: readonly ResyncWindow[];
  fullLists?: readonly FullListCall[];
  /** Full lists outside every resync: made for events. */
  fullListsOutsideResyncs?: readonly FullListCall[];
  /** Where the logs went when something failed. */
  logsKept?: string;
  error?: string;
}
