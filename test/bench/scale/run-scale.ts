/**
 * The whole scale benchmark (method: docs/benchmarks.md (i)): a living cluster of `nodes` kwok nodes
 * running `pods` pods in Deployments, then
 * - the floor: the same entries written straight to a fresh spire-server;
 * - the cold start: the registrar (`registrar serve --watch`, as bench:compare's bridge system)
 *   started on another fresh spire-server after the pods run, until every expected entry exists;
 * - the churn: a fraction of the Deployments moved to another service account (rolling updates),
 *   until the old pods' entries are gone and the new pods' exist;
 * - the deletion of a fraction of the namespaces, until their pods' entries are gone.
 * Each phase's entry set is checked against one derived independently (expected-entries.ts).
 * Returns every figure, also when a step failed (`error`); nothing here judges them.
 */
import { execFileSync } from "node:child_process";
import { copyFile, mkdir, readdir, readFile } from "node:fs/promises";
import { cpus, loadavg, release } from "node:os";
import { basename, join } from "node:path";
import { type Cluster, startCluster } from "../../e2e/harness/cluster.js";
import { MEASUREMENT, type Measurement } from "../compare/measurement.js";
import { latest, seconds } from "../compare/phases.js";
import { API_SERVER_ARGS } from "../compare/run-comparison.js";
import { floor } from "../compare/systems/floor.js";
import { projectBridge } from "../compare/systems/project-bridge.js";
import { imageNodeOptions } from "../compare/systems/project-process.js";
import { createWorkload, listPodFacts, type RolloutProgress, waitForRollouts } from "./cluster-workload.js";
import { deriveExpected, type ExpectedEntries, type PodFacts } from "./expected-entries.js";
import { openPhaseWindow } from "./phase-window.js";
import { type PodStampWatch, watchPodStamps } from "./pod-stamps.js";
import type { ScalePhase, ScaleResults } from "./results.js";
import { outsideWindows, resyncWindows } from "./resync-windows.js";
import {
  created,
  IDENTITY,
  REGISTRAR_CONFIG,
  rolloutDetail,
  type ScaleOptions,
  type Scene,
} from "./scene.js";
import { type SpireRun, startSpireRun } from "./spire-run.js";
import { churnPhase, deletePhase } from "./workload-phases.js";
import { planWorkload } from "./workload-plan.js";

/** How this benchmark times and counts (MEASUREMENT is bench:compare's; the per-pod starts differ). */
const SCALE_MEASUREMENT: Measurement = {
  ...MEASUREMENT,
  description:
    "entry writes are timed by spire-server's own audit log (wall clock, ns), as in bench:compare; " +
    "per-pod starts come from the benchmark's own watch on every pod (Date.now() when the event arrives): " +
    "the churn's from the first event showing the new pod bound to a node, the deletion's from the pod's " +
    "DELETED event; SPIRE RPCs are counted by a proxy on the socket the registrar (and the floor) use; " +
    "after each phase's window one full list is compared with the entries derived independently from the cluster",
};
/**
 * kwok for 1,000 nodes on 2 cores: no node Leases (at the default 40 s they are 100 writes a second,
 * which a loaded machine cannot keep up with, and expired Leases get every node tainted and its pods
 * evicted), and more workers starting pods than kwok's 4 (each waits for a PATCH; under load that
 * takes up to a second).
 */
const KWOK_AT_SCALE = { nodeLeaseSeconds: 0, podStageParallelism: 16 } as const;
/** etcd's default 2 GiB quota is not enough for 50,000 pods and their updates between compactions. */
const ETCD_ARGS = ["--quota-backend-bytes=8589934592"];

export async function runScale(options: ScaleOptions): Promise<ScaleResults> {
  const { settings, progress } = options;
  const results: ScaleResults = {
    settings,
    measurement: SCALE_MEASUREMENT,
    machine: {
      cpus: cpus().length,
      node: process.version,
      registrarNode:
        `${execFileSync(settings.node.path, ["--version"], { encoding: "utf8" }).trim()} ` +
        `with NODE_OPTIONS=${imageNodeOptions()}`,
      kernel: release(),
      loadavgStart: loadavg(),
    },
    startedAt: new Date().toISOString(),
    setup: {},
    phases: {},
  };
  const timed = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await work();
    results.setup[name] = Math.round(performance.now() - started);
    return value;
  };
  const plan = planWorkload(settings);
  let cluster: Cluster | undefined;
  try {
    progress.step(`starting the living cluster with ${settings.nodes} kwok nodes`);
    const live = await timed(`cluster with ${settings.nodes} nodes Ready`, () =>
      startCluster({
        nodes: settings.nodes,
        apiServerArgs: API_SERVER_ARGS,
        etcdArgs: ETCD_ARGS,
        ...KWOK_AT_SCALE,
        log: progress.note,
      }),
    );
    cluster = live;
    const scene: Scene = {
      ...options,
      cluster: live,
      plan,
      timing: { quietMs: settings.quietMs, timeoutMs: settings.phaseTimeoutMs },
    };
    const start = await timed(`${settings.pods} pods Running`, () => runPods(scene));
    if (settings.floor) results.phases.floor = await floorPhase(scene, start.expected, results);
    await registrarPhases(scene, start, results);
  } catch (error) {
    results.error = error instanceof Error ? error.message : String(error);
    progress.note(`FAILED: ${results.error}`);
    if (cluster) results.logsKept ??= await keepLogs(options.logsDir, "cluster", await clusterLogs(cluster));
  } finally {
    progress.step("stopping the cluster");
    await cluster?.stop();
    results.finishedAt = new Date().toISOString();
    results.machine.loadavgEnd = loadavg();
  }
  return results;
}

/** Creates the workload, waits until every pod runs, and derives the entries they call for. */
async function runPods(scene: Scene): Promise<{ facts: PodFacts[]; expected: ExpectedEntries }> {
  const { settings, progress, plan, cluster } = scene;
  progress.step(`creating ${plan.namespaces.length} namespaces and ${plan.deployments.length} Deployments`);
  await createWorkload(cluster.kubeConfig, plan, settings.inflight);
  const rollout: { current?: RolloutProgress } = {};
  progress.step(`waiting for ${settings.pods} pods to run`, () => rolloutDetail(rollout.current));
  await waitForRollouts(cluster.kube, plan.deployments, settings.setupTimeoutMs, rollout);
  const facts = await listPodFacts(cluster.kube);
  const running = facts.filter((p) => p.phase === "Running" && p.podIP && p.nodeName && !p.terminating);
  if (facts.length !== settings.pods || running.length !== settings.pods) {
    throw new Error(
      `${facts.length} pods listed, ${running.length} Running with an IP; want ${settings.pods}`,
    );
  }
  const expected = deriveExpected(facts, cluster.nodeNames, IDENTITY);
  progress.note(`${settings.pods} pods Running; ${expected.keys.length} entries expected`);
  return { facts, expected };
}

/** The direct-write floor: the project's SpireClient writes the derived entries to a fresh server. */
async function floorPhase(
  scene: Scene,
  expected: ExpectedEntries,
  results: ScaleResults,
): Promise<ScalePhase> {
  const { progress } = scene;
  const run = await startSpireRun(scene.cluster, REGISTRAR_CONFIG, progress.note);
  try {
    const system = floor();
    progress.step("floor: deriving the entries from the cluster");
    await system.prepare?.(run.context);
    const wait = run.audit.created(expected.keys);
    const window = openPhaseWindow(run, "floor", scene.timing);
    progress.step(`floor: writing ${expected.keys.length} entries straight to SPIRE`, () =>
      created(wait.reachedAt.size, expected.keys.length),
    );
    const t0 = Date.now();
    const started = await system.start(run.context);
    const reached = await wait.done(scene.timing.timeoutMs);
    const { phase } = await window.settle(writeTimes(reached, t0), async () => expected.lines);
    await started.stop?.();
    progress.note(`floor: ${expected.keys.length} entries in ${seconds(phase.convergenceMs)}`);
    return phase;
  } catch (error) {
    results.logsKept = await keepLogs(scene.logsDir, "floor", [run.spireLogPath]);
    throw error;
  } finally {
    await run.close();
  }
}

/** The registrar's run: the cold start, the churn and the namespace deletion, on one spire-server. */
async function registrarPhases(
  scene: Scene,
  start: { facts: PodFacts[]; expected: ExpectedEntries },
  results: ScaleResults,
): Promise<void> {
  const { settings, progress } = scene;
  const run = await startSpireRun(scene.cluster, REGISTRAR_CONFIG, progress.note);
  const system = projectBridge(settings.node, ["--resync-interval", settings.resyncInterval]);
  const logPaths = [run.spireLogPath];
  let registrarLog: string | undefined;
  let stamps: PodStampWatch | undefined;
  try {
    const whole = run.sampler.begin();
    const wait = run.audit.created(start.expected.keys);
    const window = openPhaseWindow(run, "cold", scene.timing);
    progress.step(`cold start: the registrar, until ${start.expected.keys.length} entries exist`, () =>
      created(wait.reachedAt.size, start.expected.keys.length),
    );
    const t0 = Date.now();
    const running = await system.start(run.context);
    logPaths.push(...running.logPaths);
    registrarLog = running.logPaths.find((path) => basename(path) === "registrar.log");
    const reached = await wait.done(scene.timing.timeoutMs);
    const cold = await window.settle(writeTimes(reached, t0), async () => start.expected.lines);
    results.phases.cold = cold.phase;
    progress.note(`cold start: every entry after ${seconds(cold.phase.convergenceMs)}`);

    stamps = await watchPodStamps(scene.cluster.kube);
    const churn = await churnPhase(scene, run, stamps, { facts: start.facts, entries: cold.entries });
    results.phases.churn = churn.phase;
    results.phases.delete = await deletePhase(scene, run, stamps, churn.state);
    results.run = whole.end();
  } catch (error) {
    results.logsKept = await keepLogs(scene.logsDir, "registrar", [
      ...logPaths,
      ...(await clusterLogs(scene.cluster)),
    ]);
    throw error;
  } finally {
    stamps?.stop();
    await recordFullLists(run, registrarLog, results).catch((error: unknown) =>
      progress.note(`the registrar's resyncs could not be read: ${String(error)}`),
    );
    await run.close();
  }
}

/** From `t0` to the first and to the last write of `reached`. */
function writeTimes(
  reached: ReadonlyMap<string, number>,
  t0: number,
): Pick<ScalePhase, "convergenceMs" | "firstWriteMs"> {
  return { convergenceMs: latest(reached) - t0, firstWriteMs: Math.min(...reached.values()) - t0 };
}

/** The registrar's resyncs (from its log) and the full lists the proxy saw outside them. */
async function recordFullLists(run: SpireRun, registrarLog: string | undefined, results: ScaleResults) {
  if (registrarLog === undefined) return;
  const windows = resyncWindows(await readFile(registrarLog, "utf8"));
  results.resyncs = windows;
  results.fullLists = [...run.proxy.fullLists];
  results.fullListsOutsideResyncs = outsideWindows(run.proxy.fullLists, windows);
}

/** The control plane's and components' logs (not etcd's data). */
async function clusterLogs(cluster: Cluster): Promise<string[]> {
  const names = await readdir(cluster.runDir).catch(() => [] as string[]);
  return names.filter((name) => name.endsWith(".log")).map((name) => join(cluster.runDir, name));
}

/** Copies `paths` to `<logsDir>/<name>/` and returns that directory. */
async function keepLogs(logsDir: string, name: string, paths: readonly string[]): Promise<string> {
  const target = join(logsDir, name);
  await mkdir(target, { recursive: true });
  for (const path of paths) await copyFile(path, join(target, basename(path))).catch(() => undefined);
  return target;
}
