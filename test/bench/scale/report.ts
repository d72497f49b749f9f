/**
 * The scale benchmark's report: one table (a row per figure, a column per phase), the goals met or
 * not, and notes (the registrar over the whole run, its resyncs, set-up times, machine load).
 */
import type { ScalePhase, ScalePhaseName, ScaleResults } from "./results.js";
import { LIST_ALL, LIST_FILTERED, type RpcCounts } from "./spire-proxy.js";

const COLUMNS: ReadonlyArray<[ScalePhaseName, string]> = [
  ["floor", "floor (direct writes)"],
  ["cold", "cold start"],
  ["churn", "churn"],
  ["delete", "namespace deletion"],
];
const NAMED_RPCS = [LIST_ALL, LIST_FILTERED, "BatchCreateEntry", "BatchUpdateEntry", "BatchDeleteEntry"];

type Cell = (phase: ScalePhase) => string | undefined;

const fixed = (value: number | undefined, digits: number) =>
  value === undefined || !Number.isFinite(value) ? undefined : value.toFixed(digits);
const rpc =
  (name: string): Cell =>
  (p) => {
    const counts = p.rpcs[name];
    return counts === undefined ? "0" : `${counts.calls} / ${counts.items}`;
  };

const ROWS: ReadonlyArray<[string, Cell]> = [
  ["converged after (s)", (p) => fixed(p.convergenceMs / 1000, 2)],
  ["first entry written after (s)", (p) => fixed(p.firstWriteMs && p.firstWriteMs / 1000, 2)],
  ["Kubernetes done after (s): rollouts; last pod gone", (p) => fixed(p.clusterMs && p.clusterMs / 1000, 2)],
  [
    "per pod p50 / p99 (ms): bound to a node -> entry; pod gone -> entry deleted",
    (p) => p.perPod && `${fixed(p.perPod.p50Ms, 0)} / ${fixed(p.perPod.p99Ms, 0)}`,
  ],
  ["pods timed (without a stamp)", (p) => p.perPod && `${p.perPod.pods} (${p.perPod.unstamped})`],
  ["registrar CPU (s)", (p) => fixed(p.usage.byGroup.system?.cpuSeconds, 2)],
  ["registrar peak RSS, sampled (MiB)", (p) => fixed(p.usage.byGroup.system?.peakRssMiB, 0)],
  ["spire-server CPU (s)", (p) => fixed(p.usage.byGroup["spire-server"]?.cpuSeconds, 2)],
  ["kube-apiserver CPU (s)", (p) => fixed(p.usage.byGroup["kube-apiserver"]?.cpuSeconds, 2)],
  ["benchmark process CPU (s): proxy, audit follower, watch", (p) => fixed(p.benchCpuSeconds, 2)],
  ["SPIRE ListEntries without a filter: calls / entries listed", rpc(LIST_ALL)],
  ["SPIRE ListEntries with a filter: calls / entries listed", rpc(LIST_FILTERED)],
  ["SPIRE BatchCreateEntry: calls / entries", rpc("BatchCreateEntry")],
  ["SPIRE BatchUpdateEntry: calls / entries", rpc("BatchUpdateEntry")],
  ["SPIRE BatchDeleteEntry: calls / ids", rpc("BatchDeleteEntry")],
  ["SPIRE other RPCs (calls)", (p) => String(otherCalls(p.rpcs))],
  ["SPIRE failed RPCs", (p) => String(Object.values(p.rpcs).reduce((sum, c) => sum + c.failed, 0))],
  [
    "audit log: entries created / updated / deleted (refused)",
    (p) =>
      `${p.audit.created} / ${p.audit.updated} / ${p.audit.deleted} ` +
      `(${p.audit.createRefused + p.audit.updateRefused + p.audit.deleteRefused})`,
  ],
  ["entries at the end", (p) => String(p.entriesAtEnd)],
  [
    "entries = the expected set",
    (p) => (p.check.match ? "yes" : `no: ${p.check.onlyFirst} missing, ${p.check.onlySecond} not expected`),
  ],
];

function otherCalls(rpcs: RpcCounts): number {
  return Object.entries(rpcs)
    .filter(([name]) => !NAMED_RPCS.includes(name))
    .reduce((sum, [, counts]) => sum + counts.calls, 0);
}

/** The markdown table of every phase that ran. */
export function scaleTable(results: ScaleResults): string {
  const columns = COLUMNS.filter(([name]) => results.phases[name] !== undefined);
  const header = ["figure", ...columns.map(([, title]) => title)];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const [label, cell] of ROWS) {
    const cells = columns.map(([name]) => {
      const phase = results.phases[name];
      return (phase && cell(phase)) ?? "";
    });
    if (cells.every((c) => c === "")) continue;
    lines.push(`| ${[label, ...cells].join(" | ")} |`);
  }
  return lines.join("\n");
}

export interface Goal {
  readonly goal: string;
  /** The figure it is judged by. */
  readonly value: string;
  /** Undefined when the figure is missing (a phase did not run). */
  readonly met: boolean | undefined;
}

export const GOALS = {
  coldVsFloor: 1.2,
  churnP99Ms: 2000,
  peakRssMiB: 512,
} as const;

export function evaluateGoals(results: ScaleResults): Goal[] {
  const { floor, cold, churn } = results.phases;
  const ratio = cold && floor ? cold.convergenceMs / floor.convergenceMs : undefined;
  const p99 = churn?.perPod?.p99Ms;
  const hwm = results.run?.byGroup.system?.hwmMiB;
  const outside = results.fullListsOutsideResyncs;
  return [
    {
      goal: `cold start <= ${GOALS.coldVsFloor}x the direct-write floor`,
      value: ratio === undefined ? "n/a" : `${ratio.toFixed(2)}x`,
      met: ratio === undefined ? undefined : ratio <= GOALS.coldVsFloor,
    },
    {
      goal: `churn per-pod p99 <= ${GOALS.churnP99Ms / 1000} s`,
      value: p99 === undefined ? "n/a" : `${p99.toFixed(0)} ms`,
      met: p99 === undefined ? undefined : p99 <= GOALS.churnP99Ms,
    },
    {
      goal: `registrar peak RSS (VmHWM) <= ${GOALS.peakRssMiB} MiB`,
      value: hwm === undefined ? "n/a" : `${hwm.toFixed(0)} MiB`,
      met: hwm === undefined ? undefined : hwm <= GOALS.peakRssMiB,
    },
    {
      goal: "no full SPIRE list per event (ListEntries without a filter only inside a resync)",
      value:
        outside === undefined
          ? "n/a"
          : `${results.fullLists?.length ?? 0} without a filter, ${outside.length} outside the ` +
            `${results.resyncs?.length ?? 0} resync(s)`,
      met: outside === undefined ? undefined : outside.length === 0,
    },
  ];
}

/** The goals, the whole run, set-up times, the measurement and the machine, as lines under the table. */
export function scaleNotes(results: ScaleResults): string[] {
  const notes = evaluateGoals(results).map(
    (g) => `goal ${g.goal}: ${g.value}: ${g.met === undefined ? "not measured" : g.met ? "MET" : "NOT MET"}`,
  );
  const system = results.run?.byGroup.system;
  if (system) {
    notes.push(
      `registrar over the whole run: ${system.cpuSeconds.toFixed(1)} CPU s, VmHWM ${system.hwmMiB.toFixed(0)} MiB`,
    );
  }
  for (const resync of results.resyncs ?? []) {
    notes.push(
      `resync ${resync.ok ? "done" : "FAILED"} in ${((resync.endMs - resync.startMs) / 1000).toFixed(1)} s: ` +
        `listed ${resync.entries} entries, created ${resync.created} (${resync.existing} existing), ` +
        `updated ${resync.updated}, deleted ${resync.deleted}`,
    );
  }
  notes.push(
    `set-up: ${Object.entries(results.setup)
      .map(([step, ms]) => `${step} ${(ms / 1000).toFixed(0)} s`)
      .join("; ")}`,
  );
  notes.push(`measurement: ${results.measurement.method}: ${results.measurement.description}`);
  const load = (values: readonly number[] | undefined) => values?.map((v) => v.toFixed(2)).join(" ") ?? "?";
  const minutes =
    results.finishedAt === undefined
      ? "?"
      : ((Date.parse(results.finishedAt) - Date.parse(results.startedAt)) / 60_000).toFixed(1);
  notes.push(
    `machine: ${results.machine.cpus} CPUs, benchmark on node ${results.machine.node}, registrar on node ` +
      `${results.machine.registrarNode}; load average at start ` +
      `${load(results.machine.loadavgStart)}, at end ${load(results.machine.loadavgEnd)}; ${minutes} minutes`,
  );
  if (results.error) notes.push(`FAILED: ${results.error} (logs: ${results.logsKept ?? "not kept"})`);
  return notes;
}
