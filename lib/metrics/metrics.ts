/**
 * The registrar's Prometheus metrics. One `Metrics` per process, created by the entry point and
 * injected into the apps (tests create their own), so nothing registers into a global registry.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export type EventOutcome = "done" | "malformed" | "foreign" | "retry" | "error";
export type EntryAction = "created" | "updated" | "deleted" | "failed";
/**
 * The phases of a cluster-spiffeid pass: reading Kubernetes, rendering entries, listing SPIRE, writing
 * SPIRE (entries and federation relationships), writing the custom resources' status.
 */
export type PassPhase = "kubernetes_read" | "render" | "spire_list" | "spire_write" | "status_write";

export interface Metrics {
  readonly registry: Registry;
  /** A Kubernetes or SpiffeID event handled, by object kind, CloudEvent type and outcome. */
  event(kind: string, type: string, outcome: EventOutcome): void;
  /** Entry writes, as counted by apply-plan (failed = refused by SPIRE). */
  entries(action: EntryAction, count: number): void;
  /** One SPIRE RPC: gRPC method name and status code name (e.g. "OK", "Unavailable"). */
  spireRpc(method: string, code: string, seconds: number): void;
  /** One finished resync; a successful one also sets the last-success time. */
  resync(seconds: number, succeeded: boolean, nowSeconds: number): void;
  /** One admission review, by operation and verdict. */
  admission(operation: string, outcome: "allowed" | "denied" | "malformed"): void;
  /** Time one cluster-spiffeid pass (`scope`: pod, full) spent in one phase. */
  passPhase(scope: "pod" | "full", phase: PassPhase, seconds: number): void;
}

export interface MetricsOptions {
  /**
   * Whether this process runs resyncs (the resync function, `registrar serve`). Only then are the
   * resync metrics registered: elsewhere a last-success time of 0 would fire every staleness
   * alert. Default true.
   */
  readonly resync?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const withResync = options.resync ?? true;
  const registry = new Registry();
  const events = new Counter({
    name: "registrar_events_total",
    help: "Kubernetes and SpiffeID events handled, by kind, CloudEvent type and outcome.",
    labelNames: ["kind", "type", "outcome"],
    registers: [registry],
  });
  const entries = new Counter({
    name: "registrar_entries_total",
    help: "SPIRE entries written, by action (failed: refused by SPIRE).",
    labelNames: ["action"],
    registers: [registry],
  });
  const rpcs = new Histogram({
    name: "registrar_spire_rpc_duration_seconds",
    help: "SPIRE server RPC latency, by method and gRPC status code.",
    labelNames: ["method", "code"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const resyncRegistries = withResync ? [registry] : [];
  const resyncDuration = new Histogram({
    name: "registrar_resync_duration_seconds",
    help: "Duration of full resyncs, by result.",
    labelNames: ["result"],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: resyncRegistries,
  });
  const lastResync = new Gauge({
    name: "registrar_last_successful_resync_timestamp_seconds",
    help: "Unix time of the last resync that finished without a SPIRE or API server failure.",
    registers: resyncRegistries,
  });
  const admissions = new Counter({
    name: "registrar_admission_reviews_total",
    help: "Admission reviews answered, by operation and outcome.",
    labelNames: ["operation", "outcome"],
    registers: [registry],
  });
  const phases = new Histogram({
    name: "registrar_pass_phase_duration_seconds",
    help: "cluster-spiffeid mode: time a pass spent per phase, by scope (pod: one event's pods; full: a resync).",
    labelNames: ["scope", "phase"],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  return {
    registry,
    event: (kind, type, outcome) => events.inc({ kind, type, outcome }),
    entries: (action, count) => {
      if (count > 0) entries.inc({ action }, count);
    },
    spireRpc: (method, code, seconds) => rpcs.observe({ method, code }, seconds),
    resync: (seconds, succeeded, nowSeconds) => {
      resyncDuration.observe({ result: succeeded ? "success" : "failure" }, seconds);
      if (succeeded) lastResync.set(nowSeconds);
    },
    admission: (operation, outcome) => admissions.inc({ operation, outcome }),
    passPhase: (scope, phase, seconds) => phases.observe({ scope, phase }, seconds),
  };
}
