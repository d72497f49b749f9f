/**
 * The side-by-side benchmark's settings, from environment variables (defaults in parentheses):
 * BENCH_WORKLOADS (w1,w2), BENCH_SYSTEMS (bridge,knative,go,scm,cluster-spiffeid,cluster-spiffeid-knative,floor), BENCH_ROUNDS_W1 (5),
 * BENCH_ROUNDS_W2 (3), BENCH_W1_NODES (50), BENCH_W1_PODS (1000, the cold pods),
 * BENCH_BURST_PODS (1000), BENCH_BURST_NAMESPACES (20), BENCH_W2_NODES (200), BENCH_W2_PODS
 * (10000), BENCH_INFLIGHT (100, API requests in flight when creating or deleting pods),
 * BENCH_QUIET_MS (1500), BENCH_PHASE_TIMEOUT_S (900), BENCH_NODE (the node binary that runs the
 * project's processes; the one running the benchmark), BENCH_NODE_ARGS (extra node flags for
 * them, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`), BENCH_SPIRE_PROXY (off; `1`: every system
 * reaches its spire-server through bench:scale's counting proxy, which counts the entries each
 * ListEntries returned, at the cost of a hop on every RPC) and BENCH_OUTPUT
 * (.tmp/bench-compare.json).
 */
import { SYSTEM_NAMES, type SystemName } from "./system.js";

export interface Settings {
  readonly workloads: { readonly w1: boolean; readonly w2: boolean };
  readonly systems: readonly SystemName[];
  readonly w1: {
    readonly rounds: number;
    readonly nodes: number;
    readonly coldPods: number;
    readonly burstPods: number;
    readonly burstNamespaces: number;
  };
  readonly w2: { readonly rounds: number; readonly nodes: number; readonly coldPods: number };
  readonly inflight: number;
  readonly quietMs: number;
  readonly phaseTimeoutMs: number;
  readonly node: NodeCommand;
  /** Systems reach spire-server through the counting proxy (BENCH_SPIRE_PROXY=1). */
  readonly spireProxy: boolean;
  readonly output: string;
}

/** How the project's processes are started: `<path> <args> <entry> ...`. */
export interface NodeCommand {
  readonly path: string;
  readonly args: readonly string[];
}

/** The environment the settings are read from. */
export type BenchEnv = Readonly<Record<string, string | undefined>>;

/** The integer `env[name]` (at least `least`), or `fallback` when it is unset or empty. */
export function envCount(env: BenchEnv, name: string, fallback: number, least = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < least) {
    throw new Error(`${name}=${raw}: want an integer >= ${least}`);
  }
  return value;
}

/** `env[name]` as a switch: unset, empty or `0` is off, `1` is on. */
export function flag(env: BenchEnv, name: string): boolean {
  const raw = env[name];
  if (raw === undefined || raw === "" || raw === "0") return false;
  if (raw === "1") return true;
  throw new Error(`${name}=${raw}: want 0 or 1`);
}

/** BENCH_NODE and BENCH_NODE_ARGS: how the project's processes are started. */
export function nodeCommand(env: BenchEnv): NodeCommand {
  return {
    path: env.BENCH_NODE || process.execPath,
    args: (env.BENCH_NODE_ARGS ?? "").split(" ").filter((arg) => arg !== ""),
  };
}

export function readSettings(env: BenchEnv): Settings {
  const count = (name: string, fallback: number, least = 1): number => envCount(env, name, fallback, least);
  const list = (name: string, fallback: string): string[] =>
    (env[name] || fallback)
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "");
  const workloads = list("BENCH_WORKLOADS", "w1,w2");
  for (const workload of workloads) {
    if (workload !== "w1" && workload !== "w2")
      throw new Error(`BENCH_WORKLOADS: unknown workload ${workload}`);
  }
  const systems = list("BENCH_SYSTEMS", SYSTEM_NAMES.join(","));
  for (const system of systems) {
    if (!(SYSTEM_NAMES as readonly string[]).includes(system)) {
      throw new Error(`BENCH_SYSTEMS: unknown system ${system} (known: ${SYSTEM_NAMES.join(", ")})`);
    }
  }
  return {
    workloads: { w1: workloads.includes("w1"), w2: workloads.includes("w2") },
    systems: SYSTEM_NAMES.filter((name) => systems.includes(name)),
    w1: {
      rounds: count("BENCH_ROUNDS_W1", 5),
      nodes: count("BENCH_W1_NODES", 50),
      coldPods: count("BENCH_W1_PODS", 1000),
      burstPods: count("BENCH_BURST_PODS", 1000),
      burstNamespaces: count("BENCH_BURST_NAMESPACES", 20),
    },
    w2: {
      rounds: count("BENCH_ROUNDS_W2", 3),
      nodes: count("BENCH_W2_NODES", 200),
      coldPods: count("BENCH_W2_PODS", 10_000),
    },
    inflight: count("BENCH_INFLIGHT", 100),
    quietMs: count("BENCH_QUIET_MS", 1500, 0),
    phaseTimeoutMs: count("BENCH_PHASE_TIMEOUT_S", 900) * 1000,
    node: nodeCommand(env),
    spireProxy: flag(env, "BENCH_SPIRE_PROXY"),
    output: env.BENCH_OUTPUT || ".tmp/bench-compare.json",
  };
}
