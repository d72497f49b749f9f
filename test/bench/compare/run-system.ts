/**
 * One system run: a fresh spire-server (log level INFO, JSON, audit log), the audit log follower
 * and the process sampler on it, then the phases against the shared cluster: the cold start (the
 * system starts after the cold pods exist), and in W1 the burst (new pods created, then marked
 * Running) and their deletion. After each phase the project's processes' own counters are read
 * from their /metrics (and, with BENCH_SPIRE_PROXY, the counting proxy's). Every process started
 * is stopped by PID in the end, whatever happened; a failed run keeps its logs.
 */
import { copyFile, cp, mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename, join, resolve } from "node:path";
import type { Entry } from "../../../lib/planner/entry.js";
import type { ControlPlane } from "../../e2e/harness/kube.js";
import { type SpireServer, startSpireServer } from "../../e2e/harness/spire.js";
import { makeRunDir } from "../../e2e/harness/tmp.js";
import { type RpcCounts, type SpireProxy, startSpireProxy } from "../scale/spire-proxy.js";
import { createPod, deletePod, markRunning } from "./cluster.js";
import { type EntryAudit, followEntryAudit } from "./entry-audit.js";
import { type EntryLister, openEntryLister } from "./entry-list.js";
import { TRUST_DOMAIN } from "./identity.js";
import type { KubeApi } from "./kube-api.js";
import { SPIRE_SERVER_LOGGING } from "./measurement.js";
import { coldStart, type PhaseTools, podWave, seconds } from "./phases.js";
import type { PlannedPod } from "./planned-pods.js";
import type { PodUids } from "./pod-key.js";
import { createProcessSampler, type ProcessSampler } from "./process-sampler.js";
import type { Progress } from "./progress.js";
import {
  noRegistrarCounts,
  type RegistrarCounts,
  readRegistrarCounts,
  registrarCountsSince,
} from "./registrar-metrics.js";
import type { PhaseResult, RunResult, Workload } from "./results.js";
import type { Settings } from "./settings.js";
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
  readonly entries: PhaseEntries;
}

/** A run's entries as listed once the cold start and the burst had settled. */
export interface PhaseEntries {
  cold?: readonly Entry[];
  burst?: readonly Entry[];
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
  let audit: EntryAudit | undefined;
  let lister: EntryLister | undefined;
  let sampler: ProcessSampler | undefined;
  let proxy: SpireProxy | undefined;
  let running: RunningSystem | undefined;
  try {
    progress.step(`${label}: starting spire-server`);
    spire = await startSpireServer({ trustDomain: TRUST_DOMAIN, ...SPIRE_SERVER_LOGGING, log });
    const spirePid = spire.pid();
    if (spirePid === undefined) throw new Error("spire-server has no PID");
    logPaths.push(spire.logPath);
    const measure = createProcessSampler();
    sampler = measure;
    measure.watch("kube-apiserver", spec.plane.pids.kubeApiServer, "kube-apiserver");
    measure.watch("spire-server", spirePid, "spire-server");
    const entryAudit = await followEntryAudit(spire.logPath, spec.uids);
    audit = entryAudit;
    const entryLister = openEntryLister(spire.socketPath);
    lister = entryLister;
    if (settings.spireProxy) proxy = await startSpireProxy(spire.socketPath, join(dir.path, "p.sock"));
    const context: RunContext = {
      kubeconfigPath: spec.plane.kubeconfigPath,
      kubeConfig: spec.plane.kubeConfig,
      kube: spec.plane.kube,
      spire: proxy ? { ...spire, socketPath: proxy.socketPath } : spire,
      registrarConfig: spec.registrarConfig,
      dir: dir.path,
      own(role, process) {
        owned.push(process);
        measure.watch(role, process.pid, "system");
      },
      log,
    };
    await system.prepare?.(context);
    const tools: PhaseTools = {
      audit: entryAudit,
      lister: entryLister,
      uids: spec.uids,
      measure,
      settings,
      progress,
      label,
    };

    const runWindow = measure.begin();
    const cold = await coldStart(tools, spec.coldPods, async () => {
      running = await system.start(context);
      logPaths.push(...running.logPaths);
      return running;
    });
    const counters = phaseCounters(proxy, log);
    result.phases.cold = { ...cold.phase, ...(await counters.next(running)) };
    entries.cold = cold.entries;
    log(`cold start: all ${spec.coldPods.length} pod entries after ${seconds(cold.phase.convergenceMs)}`);

    const burstPods = spec.burstPods;
    if (burstPods) {
      const hooks = cold.started;
      // Burst: many creates in flight, each pod then marked Running with its IP.
      const burst = await podWave(
        tools,
        `burst of ${burstPods.length} pods`,
        burstPods,
        { state: "present" },
        async (pod, stamp) => {
          await createPod(spec.api, pod, spec.uids);
          stamp();
          hooks.podCreated?.(pod);
          await markRunning(spec.api, pod);
        },
      );
      result.phases.burst = { ...burst.phase, ...(await counters.next(running)) };
      entries.burst = burst.entries;
      log(`burst: all ${burstPods.length} pod entries after ${seconds(burst.phase.convergenceMs)}`);

      // Delete: the burst's pods deleted (grace period 0), until their entries are gone (the
      // audit log's delete lines name entry ids only: the burst's final list maps them to pods).
      const gone = await podWave(
        tools,
        `deleting ${burstPods.length} pods`,
        burstPods,
        { state: "absent", before: burst.entries },
        async (pod, stamp) => {
          await deletePod(spec.api, pod.namespace, pod.name);
          stamp();
          hooks.podDeleted?.(pod);
        },
      );
      result.phases.delete = { ...gone.phase, ...(await counters.next(running)) };
      log(`delete: all ${burstPods.length} pod entries gone after ${seconds(gone.phase.convergenceMs)}`);
    }
    result.run = runWindow.end();
    await cold.started.stop?.();
    result.ok = true;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    log(`FAILED: ${result.error}`);
    result.logsKept = await keepLogs(spec, system.name, dir.path, logPaths);
    log(`logs kept in ${result.logsKept}`);
  } finally {
    result.audit = audit?.counts();
    for (const process of owned.reverse()) await process.stop(stopGraceMs(settings));
    if (!result.ok) await running?.stop?.().catch(() => undefined);
    await audit?.stop();
    await proxy?.close();
    lister?.close();
    sampler?.stop();
    await spire?.stop();
    await dir.remove();
    result.loadavgEnd = loadavg();
  }
  return { result, entries };
}

/**
 * How long a stopped process may take to exit before SIGKILL: the processes' own default, or 60 s when
 * BENCH_NODE_ARGS asks for a CPU or heap profile, which node writes on its way out.
 */
export function stopGraceMs(settings: Pick<Settings, "node">): number | undefined {
  return settings.node.args.some((arg) => /^--(cpu|heap)-prof/.test(arg)) ? 60_000 : undefined;
}

/**
 * The counters of each phase, read when it has settled: the system's own (its /metrics, if it has
 * any) and the proxy's, each minus the reading after the phase before (the first phase: from zero).
 * A reading that fails is logged and left out.
 */
function phaseCounters(proxy: SpireProxy | undefined, log: (line: string) => void) {
  let registrarBefore = noRegistrarCounts();
  let rpcsBefore: RpcCounts = {};
  return {
    async next(running: RunningSystem | undefined): Promise<Pick<PhaseResult, "registrar" | "spireRpcs">> {
      const counters: Pick<PhaseResult, "registrar" | "spireRpcs"> = {};
      const urls = running?.metricsUrls ?? [];
      if (urls.length > 0) {
        try {
          const now: RegistrarCounts = await readRegistrarCounts(urls);
          counters.registrar = registrarCountsSince(registrarBefore, now);
          registrarBefore = now;
        } catch (error) {
          log(`the registrar's /metrics could not be read: ${String(error)}`);
        }
      }
      if (proxy) {
        const now = proxy.counts();
        counters.spireRpcs = rpcCountsSince(rpcsBefore, now);
        rpcsBefore = now;
      }
      return counters;
    },
  };
}

/** `after` minus `before`, per method. */
export function rpcCountsSince(before: RpcCounts, after: RpcCounts): RpcCounts {
  const diff: RpcCounts = {};
  for (const [method, counts] of Object.entries(after)) {
    const earlier = before[method] ?? { calls: 0, failed: 0, items: 0 };
    diff[method] = {
      calls: counts.calls - earlier.calls,
      failed: counts.failed - earlier.failed,
      items: counts.items - earlier.items,
    };
  }
  return diff;
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
