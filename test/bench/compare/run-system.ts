/**
 * One system run: a fresh spire-server, the poller and the process sampler on it, then the phases
 * against the shared cluster: the cold start (the system starts after the cold pods exist), and in
 * W1 the burst (new pods created, then marked Running) and their deletion. Every process started
 * is stopped by PID in the end, whatever happened; a failed run keeps its logs.
 */
import { copyFile, cp, mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type { ControlPlane } from "../../e2e/harness/kube.js";
import { type SpireServer, startSpireServer } from "../../e2e/harness/spire.js";
import { makeRunDir } from "../../e2e/harness/tmp.js";
import { createPod, deletePod, markRunning } from "./cluster.js";
import { type EntryPoller, type Expectation, startEntryPoller } from "./entry-poller.js";
import { TRUST_DOMAIN } from "./identity.js";
import { inParallel, type KubeApi } from "./kube-api.js";
import { canonicalEntries } from "./parity.js";
import type { PlannedPod } from "./planned-pods.js";
import type { PodUids } from "./pod-key.js";
import { createProcessSampler, type ProcessSampler, type WindowFigures } from "./process-sampler.js";
import type { Progress } from "./progress.js";
import type { PerPodLatency, PhaseResult, RunResult, Workload } from "./results.js";
import type { Settings } from "./settings.js";
import { percentile } from "./stats.js";
import type { OwnedProcess, RunContext, RunningSystem, SystemUnderTest } from "./system.js";

/** Everything a run needs besides the system. */
export interface RunSpec {
  readonly workload: Workload;
  readonly round: number;
  readonly rounds: number;
  readonly position: number;
  readonly plane: ControlPlane;
  readonly api: KubeApi;
  readonly uids: PodUids;
  readonly settings: Settings;
  readonly progress: Progress;
  readonly registrarConfig: Readonly<Record<string, unknown>>;
  readonly coldPods: readonly PlannedPod[];
  /** W1 only: the burst's pods (their namespaces exist when the run starts). */
  readonly burstPods?: readonly PlannedPod[];
  /** Where a failed run's logs are copied. */
  readonly logsDir: string;
}

/** The run's figures, and its entries after the cold start and after the burst (for parity). */
export interface SystemRun {
  readonly result: RunResult;
  readonly entries: { cold?: string[]; burst?: string[] };
}

export async function runSystem(system: SystemUnderTest, spec: RunSpec): Promise<SystemRun> {
  const { settings, progress } = spec;
  const label = `${spec.workload} round ${spec.round}/${spec.rounds}, ${system.title}`;
  const log = (line: string) => progress.note(`${label}: ${line}`);
  const result: RunResult = {
    workload: spec.workload,
    round: spec.round,
    system: system.name,
    position: spec.position,
    ok: false,
    startedAt: new Date().toISOString(),
    loadavgStart: loadavg(),
    phases: {},
  };
  const entries: SystemRun["entries"] = {};
  const owned: OwnedProcess[] = [];
  const logPaths: string[] = [];
  const dir = await makeRunDir("cmp", log);
  let spire: SpireServer | undefined;
  let poller: EntryPoller | undefined;
  let sampler: ProcessSampler | undefined;
  let running: RunningSystem | undefined;
  try {
    progress.step(`${label}: starting spire-server`);
    spire = await startSpireServer({ trustDomain: TRUST_DOMAIN, log });
    const spirePid = spire.pid();
    if (spirePid === undefined) throw new Error("spire-server has no PID");
    logPaths.push(join(spire.dir, "spire-server.log"));
    const measure = createProcessSampler();
    sampler = measure;
    measure.watch("kube-apiserver", spec.plane.pids.kubeApiServer, "kube-apiserver");
    measure.watch("spire-server", spirePid, "spire-server");
    const watcher = startEntryPoller({
      socketPath: spire.socketPath,
      uids: spec.uids,
      intervalMs: settings.pollMs,
      budget: settings.pollBudget,
    });
    poller = watcher;
    const context: RunContext = {
      kubeconfigPath: spec.plane.kubeconfigPath,
      kubeConfig: spec.plane.kubeConfig,
      kube: spec.plane.kube,
      spire,
      registrarConfig: spec.registrarConfig,
      dir: dir.path,
      own(role, process) {
        owned.push(process);
        measure.watch(role, process.pid, "system");
      },
      log,
    };
    await system.prepare?.(context);

    // Cold start: from the system's start until every cold pod has its entry.
    const coldWait = watcher.expect(
      spec.coldPods.map((pod) => pod.key),
      "present",
    );
    const runWindow = measure.begin();
    const coldWindow = measure.begin();
    progress.step(`${label}: cold start, ${spec.coldPods.length} pods`, () =>
      seen(coldWait, spec.coldPods.length),
    );
    const t0 = performance.now();
    running = await system.start(context);
    logPaths.push(...running.logPaths);
    const coldReached = await coldWait.done(settings.phaseTimeoutMs);
    const coldDone = latest(coldReached);
    const coldSnapshot = await watcher.quiet(settings.quietMs, settings.phaseTimeoutMs);
    result.phases.cold = phase(coldDone - t0, coldWait, coldWindow.end(), coldSnapshot.entries.length);
    entries.cold = canonicalEntries(coldSnapshot.entries);
    log(`cold start: all ${spec.coldPods.length} pod entries after ${seconds(coldDone - t0)}`);

    if (spec.burstPods) {
      const burstPods = spec.burstPods;
      const system = running;
      const keys = burstPods.map((pod) => pod.key);

      // Burst: many creates in flight, each pod then marked Running with its IP.
      const burstWait = watcher.expect(keys, "present");
      const burstWindow = measure.begin();
      const createdAt = new Map<string, number>();
      progress.step(`${label}: burst of ${burstPods.length} pods`, () => seen(burstWait, burstPods.length));
      const t1 = performance.now();
      await inParallel(burstPods, settings.inflight, async (pod) => {
        await createPod(spec.api, pod, spec.uids);
        createdAt.set(pod.key, performance.now());
        system.podCreated?.(pod);
        await markRunning(spec.api, pod);
      });
      const burstApiMs = performance.now() - t1;
      const burstReached = await burstWait.done(settings.phaseTimeoutMs);
      const burstSnapshot = await watcher.quiet(settings.quietMs, settings.phaseTimeoutMs);
      result.phases.burst = phase(
        latest(burstReached) - t1,
        burstWait,
        burstWindow.end(),
        burstSnapshot.entries.length,
        latencies(burstReached, createdAt),
        burstApiMs,
      );
      entries.burst = canonicalEntries(burstSnapshot.entries);
      log(`burst: all ${burstPods.length} pod entries after ${seconds(latest(burstReached) - t1)}`);

      // Delete: the burst's pods deleted (grace period 0), until their entries are gone.
      const goneWait = watcher.expect(keys, "absent");
      const deleteWindow = measure.begin();
      const deletedAt = new Map<string, number>();
      progress.step(`${label}: deleting ${burstPods.length} pods`, () =>
        seen(goneWait, burstPods.length, "gone"),
      );
      const t2 = performance.now();
      await inParallel(burstPods, settings.inflight, async (pod) => {
        await deletePod(spec.api, pod.namespace, pod.name);
        deletedAt.set(pod.key, performance.now());
        system.podDeleted?.(pod);
      });
      const deleteApiMs = performance.now() - t2;
      const goneReached = await goneWait.done(settings.phaseTimeoutMs);
      const deleteSnapshot = await watcher.quiet(settings.quietMs, settings.phaseTimeoutMs);
      result.phases.delete = phase(
        latest(goneReached) - t2,
        goneWait,
        deleteWindow.end(),
        deleteSnapshot.entries.length,
        latencies(goneReached, deletedAt),
        deleteApiMs,
      );
      log(`delete: all ${burstPods.length} pod entries gone after ${seconds(latest(goneReached) - t2)}`);
    }
    result.run = runWindow.end();
    await running.stop?.();
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`FAILED: ${result.error}`);
    result.logsKept = await keepLogs(spec, system.name, dir.path, logPaths);
    log(`logs kept in ${result.logsKept}`);
  } finally {
    result.poll = poller?.stats();
    for (const process of owned.reverse()) await process.stop();
    if (!result.ok) await running?.stop?.().catch(() => undefined);
    await poller?.stop();
    sampler?.stop();
    await spire?.stop();
    await dir.remove();
    result.loadavgEnd = loadavg();
  }
  return { result, entries };
}

function phase(
  convergenceMs: number,
  expectation: Expectation,
  usage: WindowFigures,
  entriesAtEnd: number,
  perPod?: PerPodLatency,
  apiMs?: number,
): PhaseResult {
  return {
    convergenceMs,
    ...(expectation.resolutionMs === undefined ? {} : { resolutionMs: expectation.resolutionMs }),
    usage,
    entriesAtEnd,
    ...(perPod ? { perPod } : {}),
    ...(apiMs === undefined ? {} : { apiMs }),
  };
}

/** The latest time in `reached` (the last pod to reach its state). */
function latest(reached: ReadonlyMap<string, number>): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const at of reached.values()) last = Math.max(last, at);
  return last;
}

function latencies(reached: ReadonlyMap<string, number>, since: ReadonlyMap<string, number>): PerPodLatency {
  const values: number[] = [];
  for (const [key, at] of reached) {
    const start = since.get(key);
    if (start !== undefined) values.push(at - start);
  }
  return { p50Ms: percentile(values, 50), p99Ms: percentile(values, 99), maxMs: percentile(values, 100) };
}

function seen(expectation: Expectation, total: number, state = "present"): string {
  return `${expectation.reachedAt.size}/${total} pod entries ${state}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Copies the run's files and the logs it named to `<logsDir>/<workload>-r<round>-<system>/`. */
async function keepLogs(
  spec: RunSpec,
  system: string,
  dir: string,
  paths: readonly string[],
): Promise<string> {
  const target = resolve(spec.logsDir, `${spec.workload}-r${spec.round}-${system}`);
  await mkdir(target, { recursive: true });
  await cp(dir, target, { recursive: true, filter: (source) => !source.endsWith(".sock") }).catch(
    () => undefined,
  );
  for (const path of paths) {
    if (path.startsWith(dir)) continue;
    await copyFile(path, join(target, basename(path))).catch(() => undefined);
  }
  return target;
}
