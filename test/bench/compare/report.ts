/**
 * The summary table: one row per figure, one column per system with the median, [min-max] and n
 * over its successful runs, the ratios of the project's medians to the Go registrar's and to
 * spire-controller-manager's (bridge / Knative adapter), and of cluster-spiffeid mode's to
 * spire-controller-manager's (the same resources, the same entries). Rows no system has a value for
 * are left out.
 */
import { LIST_ALL, LIST_FILTERED, type RpcCounts } from "../scale/spire-proxy.js";
import type { AuditCounts } from "./entry-audit.js";
import type { PhaseName, Results, RunResult, Workload } from "./results.js";
import { max, median, min } from "./stats.js";
import { SYSTEM_NAMES, type SystemName } from "./system.js";

/** One figure: where to find it in a run and how to print it. */
interface Figure {
  readonly label: string;
  readonly workload: Workload;
  readonly value: (run: RunResult) => number | undefined;
  readonly digits: number;
  /** False for figures that describe the measurement rather than the system (no ratios). */
  readonly ratio?: boolean;
}

const TITLES: Record<SystemName, string> = {
  bridge: "project (bridge)",
  knative: "project (Knative adapter)",
  go: "Go v1.5.6",
  scm: "SCM v0.6.6",
  "cluster-spiffeid": "project (cluster-spiffeid)",
  "cluster-spiffeid-knative": "project (cluster-spiffeid, Knative adapter)",
  floor: "floor",
};

const s = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);
const writes = (audit: AuditCounts | undefined) =>
  audit === undefined ? undefined : audit.created + audit.updated + audit.deleted;
const usage = (run: RunResult, phase: PhaseName) => run.phases[phase]?.usage;
/** Entries the ListEntries calls returned, as the counting proxy saw them (BENCH_SPIRE_PROXY). */
const listed = (rpcs: RpcCounts | undefined) =>
  rpcs === undefined ? undefined : (rpcs[LIST_FILTERED]?.items ?? 0) + (rpcs[LIST_ALL]?.items ?? 0);
/** The steps of a cluster-spiffeid pass scoped to pods (registrar_pass_phase_duration_seconds). */
const POD_PASS_STEPS = ["kubernetes_read", "render", "spire_list", "spire_write"] as const;
/** Milliseconds a pod pass spent in `step` on average over the phase, when there were passes. */
const meanPassMs = (run: RunResult, phase: PhaseName, step: string) => {
  const registrar = run.phases[phase]?.registrar;
  if (!registrar?.podPasses) return undefined;
  return (1000 * (registrar.podPassSeconds[step] ?? 0)) / registrar.podPasses;
};
/** `count` per event the registrar handled, when it counted any. */
const perEvent = (count: number | undefined, run: RunResult, phase: PhaseName) => {
  const events = run.phases[phase]?.registrar?.events;
  return count === undefined || events === undefined || events === 0 ? undefined : count / events;
};

function phaseFigures(workload: Workload, phase: PhaseName, name: string): Figure[] {
  const figures: Figure[] = [
    {
      label: `${name}: time to all entries (s)`,
      workload,
      value: (run) => s(run.phases[phase]?.convergenceMs),
      digits: 2,
    },
  ];
  if (phase !== "cold") {
    figures.push(
      {
        label: `${name}: per pod p50 (ms)`,
        workload,
        value: (run) => run.phases[phase]?.perPod?.p50Ms,
        digits: 0,
      },
      {
        label: `${name}: per pod p99 (ms)`,
        workload,
        value: (run) => run.phases[phase]?.perPod?.p99Ms,
        digits: 0,
      },
      {
        label: `${name}: API calls took (s)`,
        workload,
        value: (run) => s(run.phases[phase]?.apiMs),
        digits: 2,
        ratio: false,
      },
    );
  }
  figures.push(
    {
      label: `${name}: entry writes in the audit log (creates + updates + deletes)`,
      workload,
      value: (run) => writes(run.phases[phase]?.audit),
      digits: 0,
      ratio: false,
    },
    {
      label: `${name}: ListEntries calls in the audit log (pages)`,
      workload,
      value: (run) => run.phases[phase]?.audit.listEntries,
      digits: 0,
      ratio: false,
    },
    {
      label: `${name}: … of which without a filter (pages of every entry)`,
      workload,
      value: (run) => run.phases[phase]?.audit.listEntriesUnfiltered,
      digits: 0,
      ratio: false,
    },
    {
      label: `${name}: events the registrar handled (its /metrics)`,
      workload,
      value: (run) => run.phases[phase]?.registrar?.events,
      digits: 0,
      ratio: false,
    },
    {
      label: `${name}: registrar ListEntries calls per event`,
      workload,
      value: (run) => perEvent(run.phases[phase]?.registrar?.listEntries, run, phase),
      digits: 2,
      ratio: false,
    },
    {
      label: `${name}: entries returned by ListEntries (BENCH_SPIRE_PROXY)`,
      workload,
      value: (run) => listed(run.phases[phase]?.spireRpcs),
      digits: 0,
      ratio: false,
    },
    {
      label: `${name}: … per registrar event`,
      workload,
      value: (run) => perEvent(listed(run.phases[phase]?.spireRpcs), run, phase),
      digits: 2,
      ratio: false,
    },
    {
      label: `${name}: pod passes (cluster-spiffeid)`,
      workload,
      value: (run) => run.phases[phase]?.registrar?.podPasses || undefined,
      digits: 0,
      ratio: false,
    },
    ...POD_PASS_STEPS.map(
      (step): Figure => ({
        label: `${name}: … mean ms per pass in ${step}`,
        workload,
        value: (run) => meanPassMs(run, phase, step),
        digits: 0,
        ratio: false,
      }),
    ),
    {
      label: `${name}: registrar CPU (s)`,
      workload,
      value: (run) => usage(run, phase)?.byGroup.system?.cpuSeconds,
      digits: 2,
    },
    ...(["k8s-events", "resync", "adapter"] as const).map(
      (role): Figure => ({
        label: `${name}: … of which ${role} CPU (s)`,
        workload,
        value: (run) => usage(run, phase)?.byRole[role]?.cpuSeconds,
        digits: 2,
      }),
    ),
    {
      label: `${name}: registrar peak RSS (MiB)`,
      workload,
      value: (run) => usage(run, phase)?.byGroup.system?.peakRssMiB,
      digits: 0,
    },
    ...(["k8s-events", "resync", "adapter"] as const).map(
      (role): Figure => ({
        label: `${name}: … of which ${role} peak RSS (MiB)`,
        workload,
        value: (run) => usage(run, phase)?.byRole[role]?.peakRssMiB,
        digits: 0,
      }),
    ),
    {
      label: `${name}: spire-server CPU (s)`,
      workload,
      value: (run) => usage(run, phase)?.byGroup["spire-server"]?.cpuSeconds,
      digits: 2,
    },
    {
      label: `${name}: kube-apiserver CPU (s)`,
      workload,
      value: (run) => usage(run, phase)?.byGroup["kube-apiserver"]?.cpuSeconds,
      digits: 2,
    },
  );
  return figures;
}

function runFigures(workload: Workload): Figure[] {
  return [
    {
      label: `${workload} whole run: registrar CPU (s)`,
      workload,
      value: (run) => run.run?.byGroup.system?.cpuSeconds,
      digits: 2,
    },
    {
      label: `${workload} whole run: registrar VmHWM (MiB)`,
      workload,
      value: (run) => run.run?.byGroup.system?.hwmMiB,
      digits: 0,
    },
    ...(["k8s-events", "resync", "adapter"] as const).map(
      (role): Figure => ({
        label: `${workload} whole run: … of which ${role} VmHWM (MiB)`,
        workload,
        value: (run) => run.run?.byRole[role]?.hwmMiB,
        digits: 0,
      }),
    ),
  ];
}

const FIGURES: readonly Figure[] = [
  ...phaseFigures("W1", "cold", "W1 cold start"),
  ...phaseFigures("W1", "burst", "W1 burst"),
  ...phaseFigures("W1", "delete", "W1 delete"),
  ...runFigures("W1"),
  ...phaseFigures("W2", "cold", "W2 cold start"),
  ...runFigures("W2"),
];

/** A figure's values per system over its successful runs. */
function valuesOf(results: Results, figure: Figure, system: SystemName): number[] {
  return results.runs
    .filter((run) => run.ok && run.workload === figure.workload && run.system === system)
    .map(figure.value)
    .filter((value): value is number => value !== undefined && Number.isFinite(value));
}

/** The markdown table of every figure. */
export function summaryTable(results: Results): string {
  const header = [
    "figure",
    ...SYSTEM_NAMES.map((name) => TITLES[name]),
    "project/Go (bridge / Knative)",
    "project/SCM (bridge / Knative)",
    "cluster-spiffeid/SCM (bridge / Knative)",
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const figure of FIGURES) {
    const values = Object.fromEntries(
      SYSTEM_NAMES.map((name) => [name, valuesOf(results, figure, name)]),
    ) as Record<SystemName, number[]>;
    if (SYSTEM_NAMES.every((name) => values[name].length === 0)) continue;
    const cells = SYSTEM_NAMES.map((name) => cell(values[name], figure.digits));
    const ratio = (peer: SystemName) =>
      figure.ratio === false
        ? ""
        : `${ratioOf(values.bridge, values[peer])} / ${ratioOf(values.knative, values[peer])}`;
    const sameResources =
      figure.ratio === false
        ? ""
        : `${ratioOf(values["cluster-spiffeid"], values.scm)} / ${ratioOf(values["cluster-spiffeid-knative"], values.scm)}`;
    lines.push(`| ${[figure.label, ...cells, ratio("go"), ratio("scm"), sameResources].join(" | ")} |`);
  }
  return lines.join("\n");
}

function cell(values: readonly number[], digits: number): string {
  if (values.length === 0) return "n/a";
  const f = (value: number) => value.toFixed(digits);
  return `${f(median(values))} [${f(min(values))}-${f(max(values))}] n=${values.length}`;
}

function ratioOf(project: readonly number[], peer: readonly number[]): string {
  const ratio = median(project) / median(peer);
  return Number.isFinite(ratio) ? ratio.toFixed(2) : "n/a";
}

/**
 * The measurement method, failed runs, skipped systems, the audit lines seen per phase, parity and
 * machine load, as lines under the table.
 */
export function summaryNotes(results: Results): string[] {
  const notes: string[] = [`measurement: ${results.measurement.method}: ${results.measurement.description}`];
  for (const [system, reason] of Object.entries(results.skipped)) notes.push(`skipped ${system}: ${reason}`);
  for (const run of results.runs.filter((r) => !r.ok)) {
    notes.push(
      `FAILED ${run.workload} round ${run.round} ${run.system}: ${run.error} (logs: ${run.logsKept})`,
    );
  }
  notes.push(auditNote(results));
  notes.push(listNote(results));
  const mismatches = results.parity.filter((p) => !p.match);
  notes.push(
    results.parity.length === 0
      ? "parity: not checked (no two systems of a group (bridge, knative, go; scm, cluster-spiffeid, cluster-spiffeid-knative) ran in a W1 round)"
      : `parity: ${results.parity.length - mismatches.length}/${results.parity.length} comparisons MATCH${
          mismatches.length > 0
            ? ` (differences: ${mismatches.map((p) => `round ${p.round} ${p.phase} ${p.systems.join("~")}`).join(", ")})`
            : ""
        }`,
  );
  const load = (values: readonly number[] | undefined) => values?.map((v) => v.toFixed(2)).join(" ") ?? "?";
  notes.push(
    `machine: ${results.machine.cpus} CPUs, node ${results.machine.node}; load average at start ${load(
      results.machine.loadavgStart,
    )}, at end ${load(results.machine.loadavgEnd)}`,
  );
  return notes;
}

/**
 * What each system listed per phase (medians over its successful runs): ListEntries calls and those
 * without a filter (the audit log), the events the project's processes handled and their ListEntries
 * calls per event (their /metrics), and with the proxy the entries returned.
 */
function listNote(results: Results): string {
  const parts: string[] = [];
  for (const system of SYSTEM_NAMES) {
    for (const workload of ["W1", "W2"] as const) {
      for (const phase of ["cold", "burst", "delete"] as const) {
        const runs = results.runs.filter(
          (run) => run.ok && run.system === system && run.workload === workload && run.phases[phase],
        );
        if (runs.length === 0) continue;
        const med = (value: (run: RunResult) => number | undefined) => {
          const values = runs.map(value).filter((v): v is number => v !== undefined && Number.isFinite(v));
          return values.length === 0 ? undefined : median(values);
        };
        const calls = med((run) => run.phases[phase]?.audit.listEntries);
        const unfiltered = med((run) => run.phases[phase]?.audit.listEntriesUnfiltered);
        const facts = [`${calls ?? "?"} ListEntries (${unfiltered ?? "?"} without a filter)`];
        const events = med((run) => run.phases[phase]?.registrar?.events);
        if (events !== undefined) {
          const perEventCalls = med((run) => perEvent(run.phases[phase]?.registrar?.listEntries, run, phase));
          facts.push(`${events} events, ${perEventCalls?.toFixed(2) ?? "?"} ListEntries per event`);
        }
        const passes = med((run) => run.phases[phase]?.registrar?.podPasses || undefined);
        if (passes !== undefined) {
          const steps = POD_PASS_STEPS.map(
            (step) => `${step} ${med((run) => meanPassMs(run, phase, step))?.toFixed(0) ?? "?"}`,
          );
          facts.push(`${passes} pod passes, mean ms per pass: ${steps.join(", ")}`);
        }
        const returned = med((run) => listed(run.phases[phase]?.spireRpcs));
        if (returned !== undefined) {
          const perEventReturned = med((run) => perEvent(listed(run.phases[phase]?.spireRpcs), run, phase));
          facts.push(
            `${returned} entries returned${perEventReturned === undefined ? "" : ` (${perEventReturned.toFixed(2)} per event)`}`,
          );
        }
        parts.push(`${system} ${workload} ${phase}: ${facts.join(", ")}`);
      }
    }
  }
  return parts.length === 0
    ? "ListEntries: none recorded"
    : `ListEntries (medians over runs; calls are pages; audit log, the project's /metrics, the proxy): ${parts.join("; ")}`;
}

/** The audit lines seen per phase, over every successful run: "W1 cold 1,043-1,095 (refused 0), …". */
function auditNote(results: Results): string {
  const parts: string[] = [];
  for (const workload of ["W1", "W2"] as const) {
    for (const phase of ["cold", "burst", "delete"] as const) {
      const counts = results.runs
        .filter((run) => run.ok && run.workload === workload)
        .map((run) => run.phases[phase]?.audit)
        .filter((audit): audit is AuditCounts => audit !== undefined);
      if (counts.length === 0) continue;
      const lines = counts.map((audit) => audit.auditLines);
      const refused = counts.map((audit) => audit.createRefused + audit.updateRefused + audit.deleteRefused);
      parts.push(
        `${workload} ${phase} ${min(lines)}-${max(lines)} (of which refused writes ${min(refused)}-${max(refused)})`,
      );
    }
  }
  return parts.length === 0
    ? "audit lines per phase: none recorded"
    : `audit lines per phase (min-max over runs): ${parts.join("; ")}`;
}
