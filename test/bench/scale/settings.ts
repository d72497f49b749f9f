/**
 * `npm run bench:scale` settings, from environment variables (defaults in parentheses):
 * BENCH_SCALE_PODS (50000), BENCH_SCALE_NODES (1000), BENCH_SCALE_DEPLOYMENTS (one per 100 pods),
 * BENCH_SCALE_NAMESPACES (one per 5 Deployments), BENCH_SCALE_CHURN (0.1: the fraction of
 * Deployments rolled), BENCH_SCALE_DELETE (0.5: the fraction of namespaces deleted),
 * BENCH_SCALE_RESYNC_INTERVAL (0: the registrar's `--resync-interval`, 0 = only the start-up
 * resync), BENCH_SCALE_FLOOR (1; 0 skips the direct-write floor), BENCH_INFLIGHT (16: API calls in
 * flight when creating or patching workloads), BENCH_QUIET_MS (1500), BENCH_PHASE_TIMEOUT_S (1800),
 * BENCH_SCALE_SETUP_TIMEOUT_S (3600: until every pod runs; 50,000 took 22 minutes on a loaded machine),
 * BENCH_NODE, BENCH_NODE_ARGS (as bench:compare) and BENCH_OUTPUT (.tmp/bench-scale.json).
 */
import { type BenchEnv, envCount, type NodeCommand, nodeCommand } from "../compare/settings.js";

export interface ScaleSettings {
  readonly pods: number;
  readonly nodes: number;
  readonly deployments: number;
  readonly namespaces: number;
  readonly churnFraction: number;
  readonly deleteFraction: number;
  readonly resyncInterval: string;
  readonly floor: boolean;
  readonly inflight: number;
  readonly quietMs: number;
  readonly phaseTimeoutMs: number;
  readonly setupTimeoutMs: number;
  readonly node: NodeCommand;
  readonly output: string;
}

const PODS_PER_DEPLOYMENT = 100;
const DEPLOYMENTS_PER_NAMESPACE = 5;

export function readScaleSettings(env: BenchEnv): ScaleSettings {
  const pods = envCount(env, "BENCH_SCALE_PODS", 50_000);
  const deployments = envCount(env, "BENCH_SCALE_DEPLOYMENTS", Math.ceil(pods / PODS_PER_DEPLOYMENT));
  const namespaces = envCount(
    env,
    "BENCH_SCALE_NAMESPACES",
    Math.ceil(deployments / DEPLOYMENTS_PER_NAMESPACE),
  );
  if (deployments > pods) throw new Error(`BENCH_SCALE_DEPLOYMENTS=${deployments}: more than the pods`);
  if (namespaces > deployments)
    throw new Error(`BENCH_SCALE_NAMESPACES=${namespaces}: more than the Deployments`);
  return {
    pods,
    nodes: envCount(env, "BENCH_SCALE_NODES", 1000),
    deployments,
    namespaces,
    churnFraction: fraction(env, "BENCH_SCALE_CHURN", 0.1),
    deleteFraction: fraction(env, "BENCH_SCALE_DELETE", 0.5),
    resyncInterval: env.BENCH_SCALE_RESYNC_INTERVAL || "0",
    floor: env.BENCH_SCALE_FLOOR !== "0",
    inflight: envCount(env, "BENCH_INFLIGHT", 16),
    quietMs: envCount(env, "BENCH_QUIET_MS", 1500, 0),
    phaseTimeoutMs: envCount(env, "BENCH_PHASE_TIMEOUT_S", 1800) * 1000,
    setupTimeoutMs: envCount(env, "BENCH_SCALE_SETUP_TIMEOUT_S", 3600) * 1000,
    node: nodeCommand(env),
    output: env.BENCH_OUTPUT || ".tmp/bench-scale.json",
  };
}

/** A number in (0, 1] from `env[name]`, or `fallback`. */
function fraction(env: BenchEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!(value > 0 && value <= 1)) throw new Error(`${name}=${raw}: want a fraction in (0, 1]`);
  return value;
}
