/**
 * The timed phases of a run, on the run's audit log follower and process sampler: the cold start
 * (the system starts; done when every cold pod's entry has been created) and a wave of API calls
 * over pods (the burst's creates; the deletes), done when their entries have all been created, or
 * all deleted. Each phase then waits until no entry write has succeeded for the quiet period,
 * closes its measuring window, and lists the entries once to check that the set is complete.
 *
 * Times are on the wall clock (`Date.now()`), like the audit log's: the server writes its own
 * time of each write, and the benchmark stamps the phase's start and each pod's API call.
 */
import { performance } from "node:perf_hooks";
import type { Entry } from "../../../lib/planner/entry.js";
import type { AuditCounts, EntryAudit, Expectation } from "./entry-audit.js";
import type { EntryLister } from "./entry-list.js";
import { inParallel } from "./kube-api.js";
import type { PlannedPod } from "./planned-pods.js";
import { entryIdsByPod, type PodUids, podKeyOfEntry } from "./pod-key.js";
import type { ProcessSampler, WindowFigures } from "./process-sampler.js";
import type { Progress } from "./progress.js";
import type { PerPodLatency, PhaseResult } from "./results.js";
import type { Settings } from "./settings.js";
import { percentile } from "./stats.js";

/** What every phase uses. */
export interface PhaseTools {
  readonly audit: EntryAudit;
  readonly lister: EntryLister;
  readonly uids: PodUids;
  readonly measure: ProcessSampler;
  readonly settings: Settings;
  readonly progress: Progress;
  /** The run, for progress lines, e.g. "W1 round 2/5, Go v1.5.6". */
  readonly label: string;
}

/** A finished phase: its figures and the entries listed once it had settled. */
export interface PhaseOutcome {
  readonly phase: PhaseResult;
  readonly entries: readonly Entry[];
}

/** What a wave waits for: every pod's entry created, or every entry the pods had in `before` deleted. */
export type WaveTarget =
  | { readonly state: "present" }
  | { readonly state: "absent"; readonly before: readonly Entry[] };

/** Calls `start` (the system's start) and waits until every pod of `pods` has its entry. */
export async function coldStart<T>(
  tools: PhaseTools,
  pods: readonly PlannedPod[],
  start: () => Promise<T>,
): Promise<PhaseOutcome & { started: T }> {
  const { audit, measure, settings, progress } = tools;
  const keys = pods.map((pod) => pod.key);
  const wait = audit.created(keys);
  const countsBefore = audit.counts();
  const window = measure.begin();
  progress.step(`${tools.label}: cold start, ${pods.length} pods`, () => seen(wait, pods.length, "created"));
  const t0 = Date.now();
  const started = await start();
  const reached = await wait.done(settings.phaseTimeoutMs);
  const settled = await settle(tools, () => window.end(), countsBefore, keys, "present");
  return { phase: phase(latest(reached) - t0, settled), entries: settled.entries, started };
}

/**
 * Runs `call` for every pod, `settings.inflight` at once, from the first call on; `call` stamps the
 * moment its pod's API call returned. Done when every pod has reached `target`; per pod, the
 * latency is from its stamp to the server's time of that write.
 */
export async function podWave(
  tools: PhaseTools,
  what: string,
  pods: readonly PlannedPod[],
  target: WaveTarget,
  call: (pod: PlannedPod, stamp: () => void) => Promise<void>,
): Promise<PhaseOutcome> {
  const { audit, measure, settings, progress } = tools;
  const keys = pods.map((pod) => pod.key);
  const wait = expectationFor(tools, keys, target);
  const countsBefore = audit.counts();
  const window = measure.begin();
  const stamped = new Map<string, number>();
  const word = target.state === "present" ? "created" : "deleted";
  progress.step(`${tools.label}: ${what}`, () => seen(wait, pods.length, word));
  const t0 = Date.now();
  const apiStart = performance.now();
  await inParallel(pods, settings.inflight, (pod) => call(pod, () => stamped.set(pod.key, Date.now())));
  const apiMs = performance.now() - apiStart;
  const reached = await wait.done(settings.phaseTimeoutMs);
  const settled = await settle(tools, () => window.end(), countsBefore, keys, target.state);
  return {
    phase: phase(latest(reached) - t0, settled, latencies(reached, stamped), apiMs),
    entries: settled.entries,
  };
}

function expectationFor(tools: PhaseTools, keys: readonly string[], target: WaveTarget): Expectation {
  if (target.state === "present") return tools.audit.created(keys);
  const ids = entryIdsByPod(target.before, keys, tools.uids);
  const missing = keys.filter((key) => !ids.has(key));
  if (missing.length > 0) {
    throw new Error(`${missing.length} pods had no entry before their deletion, e.g. ${missing[0]}`);
  }
  return tools.audit.deleted(ids);
}

/** A phase once it has settled: its window's figures, its audit counts and the entries then. */
interface Settled {
  readonly usage: WindowFigures;
  readonly audit: AuditCounts;
  readonly entries: readonly Entry[];
}

/**
 * Waits for the quiet period, ends the measuring window, then lists the entries once (outside the
 * window) and checks that every pod of `keys` has an entry ("present") or none has ("absent").
 */
async function settle(
  tools: PhaseTools,
  endWindow: () => WindowFigures,
  countsBefore: AuditCounts,
  keys: readonly string[],
  state: "present" | "absent",
): Promise<Settled> {
  await tools.audit.quiet(tools.settings.quietMs, tools.settings.phaseTimeoutMs);
  const usage = endWindow();
  const audit = countsSince(countsBefore, tools.audit.counts());
  const entries = await tools.lister.list();
  // The list's own audit lines (spire-server writes them before it answers) are read now, so the next
  // phase's counts start after them.
  await tools.audit.drain();
  const listed = new Set<string>();
  for (const entry of entries) {
    const key = podKeyOfEntry(entry, tools.uids);
    if (key !== undefined) listed.add(key);
  }
  const wrong = keys.filter((key) => listed.has(key) !== (state === "present"));
  if (wrong.length > 0) {
    throw new Error(
      `final check: the audit log says done, but ListEntries shows ${wrong.length} of ${keys.length} pods ` +
        `${state === "present" ? "without" : "still with"} an entry, e.g. ${wrong[0]}`,
    );
  }
  return { usage, audit, entries };
}

/** The audit counts between two readings. */
export function countsSince(before: AuditCounts, after: AuditCounts): AuditCounts {
  const diff = { ...after };
  for (const name of Object.keys(diff) as (keyof AuditCounts)[]) diff[name] -= before[name];
  return diff;
}

function phase(convergenceMs: number, settled: Settled, perPod?: PerPodLatency, apiMs?: number): PhaseResult {
  return {
    convergenceMs,
    usage: settled.usage,
    audit: settled.audit,
    entriesAtEnd: settled.entries.length,
    ...(perPod ? { perPod } : {}),
    ...(apiMs === undefined ? {} : { apiMs }),
  };
}

/** The latest time in `reached` (the last pod to reach its state). */
export function latest(reached: ReadonlyMap<string, number>): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const at of reached.values()) last = Math.max(last, at);
  return last;
}

/** Per pod, from its time in `since` to its time in `reached` (pods without both are left out). */
export function latencies(
  reached: ReadonlyMap<string, number>,
  since: ReadonlyMap<string, number>,
): PerPodLatency {
  const values: number[] = [];
  for (const [key, at] of reached) {
    const start = since.get(key);
    if (start !== undefined) values.push(at - start);
  }
  return {
    p50Ms: percentile(values, 50),
    p99Ms: percentile(values, 99),
    maxMs: percentile(values, 100),
    minMs: percentile(values, 0),
  };
}

function seen(expectation: Expectation, total: number, state: string): string {
  return `${expectation.reachedAt.size}/${total} pod entries ${state}`;
}

/** Milliseconds as "12.34 s". */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}
