/**
 * The timed phases of a run, on a started poller and process sampler: the cold start (the system
 * starts; done when every cold pod has its entry) and a wave of API calls over pods (the burst's
 * creates, the deletes; done when their entries are all there, or all gone). Each phase then waits
 * until no entry has changed for the quiet period, and measures CPU and memory up to that moment.
 */
import { performance } from "node:perf_hooks";
import type { EntryPoller, Expectation, Snapshot } from "./entry-poller.js";
import { inParallel } from "./kube-api.js";
import type { PlannedPod } from "./planned-pods.js";
import type { ProcessSampler, WindowFigures } from "./process-sampler.js";
import type { Progress } from "./progress.js";
import type { PerPodLatency, PhaseResult } from "./results.js";
import type { Settings } from "./settings.js";
import { percentile } from "./stats.js";

/** What every phase uses. */
export interface PhaseTools {
  readonly watcher: EntryPoller;
  readonly measure: ProcessSampler;
  readonly settings: Settings;
  readonly progress: Progress;
  /** The run, for progress lines, e.g. "W1 round 2/5, Go v1.5.6". */
  readonly label: string;
}

/** A finished phase: its figures and the entries once they had settled. */
export interface PhaseOutcome {
  readonly phase: PhaseResult;
  readonly snapshot: Snapshot;
}

/** Calls `start` (the system's start) and waits until every pod of `pods` has its entry. */
export async function coldStart<T>(
  tools: PhaseTools,
  pods: readonly PlannedPod[],
  start: () => Promise<T>,
): Promise<PhaseOutcome & { started: T }> {
  const { watcher, measure, settings, progress } = tools;
  const wait = watcher.expect(
    pods.map((pod) => pod.key),
    "present",
  );
  const window = measure.begin();
  progress.step(`${tools.label}: cold start, ${pods.length} pods`, () => seen(wait, pods.length, "present"));
  const t0 = performance.now();
  const started = await start();
  const reached = await wait.done(settings.phaseTimeoutMs);
  const snapshot = await watcher.quiet(settings.quietMs, settings.phaseTimeoutMs);
  return { phase: phase(latest(reached) - t0, wait, window.end(), snapshot), snapshot, started };
}

/**
 * Runs `call` for every pod, `settings.inflight` at once, from the first call on; `call` stamps the
 * moment its pod's API call returned. Done when the entries of every pod are `state`; per pod, the
 * latency is from its stamp to that moment.
 */
export async function podWave(
  tools: PhaseTools,
  what: string,
  pods: readonly PlannedPod[],
  state: "present" | "absent",
  call: (pod: PlannedPod, stamp: () => void) => Promise<void>,
): Promise<PhaseOutcome> {
  const { watcher, measure, settings, progress } = tools;
  const wait = watcher.expect(
    pods.map((pod) => pod.key),
    state,
  );
  const window = measure.begin();
  const stamped = new Map<string, number>();
  progress.step(`${tools.label}: ${what}`, () => seen(wait, pods.length, state));
  const t0 = performance.now();
  await inParallel(pods, settings.inflight, (pod) =>
    call(pod, () => stamped.set(pod.key, performance.now())),
  );
  const apiMs = performance.now() - t0;
  const reached = await wait.done(settings.phaseTimeoutMs);
  const snapshot = await watcher.quiet(settings.quietMs, settings.phaseTimeoutMs);
  return {
    phase: phase(latest(reached) - t0, wait, window.end(), snapshot, latencies(reached, stamped), apiMs),
    snapshot,
  };
}

function phase(
  convergenceMs: number,
  expectation: Expectation,
  usage: WindowFigures,
  snapshot: Snapshot,
  perPod?: PerPodLatency,
  apiMs?: number,
): PhaseResult {
  return {
    convergenceMs,
    ...(expectation.resolutionMs === undefined ? {} : { resolutionMs: expectation.resolutionMs }),
    usage,
    entriesAtEnd: snapshot.entries.length,
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

function seen(expectation: Expectation, total: number, state: string): string {
  return `${expectation.reachedAt.size}/${total} pod entries ${state}`;
}

/** Milliseconds as "12.34 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
