/**
 * "A system under test" of the side-by-side benchmark: something that keeps a spire-server's
 * entries in step with the shared cluster. The runner gives it a fresh spire-server per run, starts
 * it after the cold pods exist (that start is the cold start), and reads the CPU and memory of the
 * processes it reports through `watchProcess`.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";
import type { SpireServer } from "../../e2e/harness/spire.js";
import type { PlannedPod } from "./planned-pods.js";

/** The columns of the report, in order. */
export const SYSTEM_NAMES = [
  "bridge",
  "knative",
  "go",
  "scm",
  "cluster-spiffeid",
  "cluster-spiffeid-knative",
  "floor",
] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** A process the runner measures and stops. */
export interface OwnedProcess {
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs` (the process's default when left out). */
  stop(graceMs?: number): Promise<void>;
}

/** What a system gets for one run. */
export interface RunContext {
  readonly kubeconfigPath: string;
  /** client-node's view of the kubeconfig (for set-up: CRDs, custom resources). */
  readonly kubeConfig: KubeConfig;
  /** The project's own client over the same kubeconfig. */
  readonly kube: KubeClient;
  /** This run's own spire-server. */
  readonly spire: SpireServer;
  /**
   * The registrar configuration shared by the project and the Go registrar (HCL's JSON form):
   * everything but the SPIRE socket and the listen/metrics addresses, which each run sets.
   */
  readonly registrarConfig: Readonly<Record<string, unknown>>;
  /** A short directory under /tmp for this run's files and logs (kept when the run fails). */
  readonly dir: string;
  /**
   * Hands a process of the system to the runner: it is measured from now on (`role` is unique per
   * run, e.g. "registrar", "adapter"), and stopped by its `stop()` (by PID) when the run ends,
   * whether or not `start()` succeeded.
   */
  own(role: string, process: OwnedProcess): void;
  readonly log: (line: string) => void;
}

/** A started system; its processes are the ones it handed to `own()`. */
export interface RunningSystem {
  /** The files worth keeping when a run fails (logs, configs). */
  readonly logPaths: readonly string[];
  /** Told about each burst pod when its create returns, and each deleted pod when the delete returns (the floor writes then). */
  podCreated?(pod: PlannedPod): void;
  podDeleted?(pod: PlannedPod): void;
  /** The project's Prometheus endpoints (`/metrics` of each of its processes), read after each phase. */
  readonly metricsUrls?: readonly string[];
  /** Releases anything else it holds (its processes are stopped by the runner). */
  stop?(): Promise<void>;
}

export interface SystemUnderTest {
  readonly name: SystemName;
  /** Shown in the report's header. */
  readonly title: string;
  /** Why it cannot run here (a missing binary, say), or undefined when it can. */
  unavailable(): string | undefined;
  /** Once, before the first run: cluster-wide setup such as CRDs. */
  setUp?(kubeConfig: KubeConfig): Promise<void>;
  /** Before the clock of a cold start starts: work that is not part of the system's start. */
  prepare?(context: RunContext): Promise<void>;
  /** Starts the system; the cold start is timed from the call until every cold pod has its entry. */
  start(context: RunContext): Promise<RunningSystem>;
}
