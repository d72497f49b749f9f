/**
 * The whole side-by-side benchmark: one etcd + kube-apiserver for everything, the cluster set up
 * for W1 (nodes and cold pods), then W1's rounds (every available system once per round, the order
 * rotated each round, each run with a fresh spire-server; parity within each group of systems that
 * should write the same entries after each round), then the cluster
 * grown for W2 and W2's rounds. Returns every figure; nothing here judges them.
 */
import { cpus, loadavg, release } from "node:os";
import { performance } from "node:perf_hooks";
import { startControlPlane } from "../../e2e/harness/kube.js";
import { ensureNamespaces, ensureNodes, ensurePods, removeNamespaces } from "./cluster.js";
import { CLUSTER, TRUST_DOMAIN } from "./identity.js";
import { createKubeApi, type KubeApi } from "./kube-api.js";
import { MEASUREMENT } from "./measurement.js";
import { canonicalEntries, compareEntries, describeParity, type ParityFields } from "./parity.js";
import { burstNamespaces, burstPods, coldPods, nodeName } from "./planned-pods.js";
import { type PodUids, podUids } from "./pod-key.js";
import type { Progress } from "./progress.js";
import type { Results, Workload } from "./results.js";
import { type PhaseEntries, type RunSpec, runSystem } from "./run-system.js";
import type { Settings } from "./settings.js";
import type { SystemName, SystemUnderTest } from "./system.js";

/** kube-apiserver limits high enough for a burst of hundreds of requests in flight. */
export const API_SERVER_ARGS = ["--max-requests-inflight=3000", "--max-mutating-requests-inflight=1500"];

/**
 * The groups of systems whose entries must be equal, and on which fields: the reconcile-mode systems
 * (spire-controller-manager's parents and selectors differ from theirs by design), and the two that
 * implement SCM's resources.
 */
const PARITY_GROUPS: readonly { systems: readonly SystemName[]; fields: ParityFields }[] = [
  { systems: ["bridge", "knative", "go"], fields: "identity" },
  { systems: ["scm", "cluster-spiffeid", "cluster-spiffeid-knative"], fields: "all" },
];

export interface ComparisonOptions {
  readonly settings: Settings;
  readonly systems: readonly SystemUnderTest[];
  readonly progress: Progress;
  /** Where failed runs' logs go. */
  readonly logsDir: string;
}

export async function runComparison(options: ComparisonOptions): Promise<Results> {
  const { settings, progress } = options;
  const results: Results = {
    settings,
    measurement: MEASUREMENT,
    machine: { cpus: cpus().length, node: process.version, kernel: release(), loadavgStart: loadavg() },
    startedAt: new Date().toISOString(),
    skipped: {},
    runs: [],
    parity: [],
    setup: {},
  };
  const systems: SystemUnderTest[] = [];
  for (const system of options.systems) {
    const reason = system.unavailable();
    if (reason === undefined) systems.push(system);
    else {
      results.skipped[system.name] = reason;
      progress.note(`${system.title} skipped: ${reason}`);
    }
  }
  const registrarConfig = {
    mode: "reconcile",
    trust_domain: TRUST_DOMAIN,
    cluster: CLUSTER,
    add_pod_dns_names: true,
    log_level: "info",
  };

  progress.step("starting etcd and kube-apiserver");
  const plane = await startControlPlane({ apiServerArgs: API_SERVER_ARGS, log: progress.note });
  let api: KubeApi | undefined;
  try {
    const kube = await createKubeApi(plane.kubeConfig, settings.inflight);
    api = kube;
    for (const system of [...systems]) {
      try {
        await system.setUp?.(plane.kubeConfig);
      } catch (error) {
        const reason = `set-up failed: ${error instanceof Error ? error.message : String(error)}`;
        results.skipped[system.name] = reason;
        progress.note(`${system.title} skipped: ${reason}`);
        systems.splice(systems.indexOf(system), 1);
      }
    }
    const uids = podUids();
    const timed = async (name: string, work: () => Promise<void>) => {
      progress.step(`setup: ${name}`);
      const started = performance.now();
      await work();
      results.setup[name] = Math.round(performance.now() - started);
    };
    const base = { plane, api: kube, uids, settings, progress, registrarConfig, logsDir: options.logsDir };

    if (settings.workloads.w1) {
      const { w1 } = settings;
      const cold = coldPods(w1.coldPods, w1.nodes);
      const burst = burstPods(w1.burstPods, w1.burstNamespaces, w1.nodes);
      const namespaces = burstNamespaces(w1.burstNamespaces);
      await timed(`W1: ${w1.nodes} nodes`, () => ensureNodes(kube, names(w1.nodes), settings.inflight));
      await timed(`W1: ${w1.coldPods} cold pods`, () => ensurePods(kube, cold, uids, settings.inflight));
      for (let round = 1; round <= w1.rounds; round++) {
        const entries = new Map<SystemName, PhaseEntries>();
        for (const [position, system] of rotate(systems, round - 1).entries()) {
          await ensureNamespaces(kube, namespaces);
          const spec: RunSpec = {
            ...base,
            workload: "W1",
            round,
            rounds: w1.rounds,
            position,
            coldPods: cold,
            burstPods: burst,
          };
          try {
            const run = await runSystem(system, spec);
            results.runs.push(run.result);
            if (run.result.ok) entries.set(system.name, run.entries);
          } finally {
            progress.step(`W1 round ${round}: removing the burst's namespaces and pods`);
            await removeNamespaces(kube, namespaces, settings.inflight);
          }
        }
        checkParity(results, round, entries, uids, progress);
      }
    }

    if (settings.workloads.w2) {
      const { w2 } = settings;
      const cold = coldPods(w2.coldPods, w2.nodes);
      await timed(`W2: ${w2.nodes} nodes`, () => ensureNodes(kube, names(w2.nodes), settings.inflight));
      await timed(`W2: ${w2.coldPods} cold pods`, () => ensurePods(kube, cold, uids, settings.inflight));
      for (let round = 1; round <= w2.rounds; round++) {
        for (const [position, system] of rotate(systems, round - 1).entries()) {
          const spec: RunSpec = {
            ...base,
            workload: "W2" as Workload,
            round,
            rounds: w2.rounds,
            position,
            coldPods: cold,
          };
          results.runs.push((await runSystem(system, spec)).result);
        }
      }
    }
  } finally {
    progress.step("stopping kube-apiserver and etcd");
    api?.close();
    await plane.stop();
    results.finishedAt = new Date().toISOString();
    results.machine.loadavgEnd = loadavg();
  }
  return results;
}

/** Compares, for one round, the entries of every pair of systems of a parity group that ran. */
function checkParity(
  results: Results,
  round: number,
  entries: ReadonlyMap<SystemName, PhaseEntries>,
  uids: PodUids,
  progress: Progress,
): void {
  for (const group of PARITY_GROUPS) {
    const ran = group.systems.filter((name) => entries.has(name));
    for (const phase of ["cold", "burst"] as const) {
      const lines = (name: SystemName) =>
        canonicalEntries(entries.get(name)?.[phase] ?? [], group.fields, uids);
      for (let i = 0; i < ran.length; i++) {
        for (let j = i + 1; j < ran.length; j++) {
          const first = ran[i] as SystemName;
          const second = ran[j] as SystemName;
          const parity = compareEntries(
            round,
            phase,
            { system: first, entries: lines(first) },
            { system: second, entries: lines(second) },
          );
          results.parity.push(parity);
          progress.note(`parity ${describeParity(parity)}`);
        }
      }
    }
  }
}

function names(count: number): string[] {
  return Array.from({ length: count }, (_, i) => nodeName(i));
}

/** `items` rotated left by `by`: round i starts with the i-th system. */
function rotate<T>(items: readonly T[], by: number): T[] {
  if (items.length === 0) return [];
  const k = by % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}
