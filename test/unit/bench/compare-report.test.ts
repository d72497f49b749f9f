/** The workload and reporting parts of `npm run bench:compare`: planned pods, settings, the table. */
import { describe, expect, it } from "vitest";
import { noAuditCounts } from "../../bench/compare/entry-audit.js";
import { MEASUREMENT } from "../../bench/compare/measurement.js";
import { burstPods, coldPods } from "../../bench/compare/planned-pods.js";
import { parseRegistrarMetrics, registrarCountsSince } from "../../bench/compare/registrar-metrics.js";
import { summaryNotes, summaryTable } from "../../bench/compare/report.js";
import type { Results, RunResult } from "../../bench/compare/results.js";
import { rpcCountsSince, stopGraceMs } from "../../bench/compare/run-system.js";
import { readSettings } from "../../bench/compare/settings.js";
import { LIST_ALL, LIST_FILTERED } from "../../bench/scale/spire-proxy.js";

describe("planned pods", () => {
  it("spreads pods over namespaces and nodes with unique IPs", () => {
    const cold = coldPods(250, 50);
    expect(cold[0]).toMatchObject({ namespace: "cold-0", name: "pod-0", node: "node-0", ip: "10.1.0.0" });
    expect(cold[249]).toMatchObject({ namespace: "cold-2", node: "node-49", ip: "10.1.0.249" });
    const burst = burstPods(1000, 20, 50);
    expect(new Set(burst.map((pod) => pod.ip)).size).toBe(1000);
    expect(new Set(burst.map((pod) => pod.namespace)).size).toBe(20);
  });
});

describe("settings", () => {
  it("has the documented defaults and rejects nonsense", () => {
    const settings = readSettings({});
    expect(settings.w1).toEqual({
      rounds: 5,
      nodes: 50,
      coldPods: 1000,
      burstPods: 1000,
      burstNamespaces: 20,
    });
    expect(settings.w2).toEqual({ rounds: 3, nodes: 200, coldPods: 10_000 });
    expect(settings.systems).toEqual([
      "bridge",
      "knative",
      "go",
      "scm",
      "cluster-spiffeid",
      "cluster-spiffeid-knative",
      "floor",
    ]);
    expect(readSettings({ BENCH_SYSTEMS: "floor, bridge", BENCH_WORKLOADS: "w2" })).toMatchObject({
      systems: ["bridge", "floor"],
      workloads: { w1: false, w2: true },
    });
    expect(() => readSettings({ BENCH_W1_PODS: "0" })).toThrow("BENCH_W1_PODS=0");
    expect(() => readSettings({ BENCH_SYSTEMS: "rust" })).toThrow("unknown system rust");
    expect(settings.spireProxy).toBe(false);
    expect(readSettings({ BENCH_SPIRE_PROXY: "1" }).spireProxy).toBe(true);
    expect(() => readSettings({ BENCH_SPIRE_PROXY: "yes" })).toThrow("BENCH_SPIRE_PROXY=yes");
    expect(stopGraceMs(settings)).toBeUndefined();
    expect(stopGraceMs(readSettings({ BENCH_NODE_ARGS: "--cpu-prof --cpu-prof-dir=/tmp/p" }))).toBe(60_000);
  });
});

const NO_AUDIT = noAuditCounts();
const machine = { cpus: 2, node: "v20", kernel: "6", loadavgStart: [0.5, 0.4, 0.3] };

describe("summary table", () => {
  it("prints median [min-max] n per system and the ratios to the peers (cluster-spiffeid's to SCM's)", () => {
    const run = (system: RunResult["system"], coldMs: number): RunResult => ({
      workload: "W1",
      round: 1,
      system,
      position: 0,
      ok: true,
      startedAt: "",
      loadavgStart: [],
      phases: {
        cold: {
          convergenceMs: coldMs,
          entriesAtEnd: 0,
          usage: { byRole: {}, byGroup: {} },
          audit: { ...NO_AUDIT, auditLines: 1100, created: 1050, createRefused: 2 },
        },
      },
    });
    const results = {
      runs: [
        run("bridge", 1000),
        run("bridge", 3000),
        run("bridge", 2000),
        run("go", 4000),
        run("knative", 2000),
        run("scm", 4000),
        run("cluster-spiffeid", 1000),
        run("cluster-spiffeid-knative", 2000),
      ],
    } as unknown as Results;
    const table = summaryTable(results);
    expect(table).toContain(
      "| W1 cold start: time to all entries (s) | 2.00 [1.00-3.00] n=3 | 2.00 [2.00-2.00] n=1 | 4.00 [4.00-4.00] n=1 | 4.00 [4.00-4.00] n=1 | 1.00 [1.00-1.00] n=1 | 2.00 [2.00-2.00] n=1 | n/a | 0.50 / 0.50 | 0.50 / 0.50 | 0.25 / 0.50 |",
    );
    expect(table).toContain(
      "| W1 cold start: entry writes in the audit log (creates + updates + deletes) | 1050 [1050-1050] n=3 |",
    );
    expect(table).not.toContain("resolution");
    expect(table).not.toContain("W2");
    const notes = summaryNotes({ ...results, measurement: MEASUREMENT, skipped: {}, parity: [], machine });
    expect(notes[0]).toMatch(/^measurement: spire-server audit log: /);
    expect(notes).toContain(
      "audit lines per phase (min-max over runs): W1 cold 1100-1100 (of which refused writes 2-2)",
    );
  });
});

describe("counters per phase", () => {
  it("reads events and SPIRE RPCs from the registrar's /metrics", () => {
    const text = [
      "# HELP registrar_events_total Kubernetes and SpiffeID events handled.",
      "# TYPE registrar_events_total counter",
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.resource.add",outcome="done"} 1000',
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.resource.update",outcome="done"} 990',
      'registrar_events_total{kind="Namespace",type="dev.knative.apiserver.resource.add",outcome="done"} 20',
      'registrar_spire_rpc_duration_seconds_bucket{le="0.001",method="ListEntries",code="OK"} 3',
      'registrar_spire_rpc_duration_seconds_sum{method="ListEntries",code="OK"} 1.5',
      'registrar_spire_rpc_duration_seconds_count{method="ListEntries",code="OK"} 1990',
      'registrar_spire_rpc_duration_seconds_count{method="ListEntries",code="Unavailable"} 2',
      'registrar_spire_rpc_duration_seconds_count{method="BatchCreateEntry",code="OK"} 40',
      'registrar_pass_phase_duration_seconds_bucket{le="0.001",scope="pod",phase="render"} 1000',
      'registrar_pass_phase_duration_seconds_sum{scope="pod",phase="render"} 0.5',
      'registrar_pass_phase_duration_seconds_count{scope="pod",phase="render"} 1000',
      'registrar_pass_phase_duration_seconds_sum{scope="pod",phase="spire_list"} 2000',
      'registrar_pass_phase_duration_seconds_count{scope="pod",phase="spire_list"} 990',
      'registrar_pass_phase_duration_seconds_sum{scope="full",phase="spire_list"} 3',
      'registrar_pass_phase_duration_seconds_count{scope="full",phase="render"} 1',
      "",
    ].join("\n");
    const counts = parseRegistrarMetrics(text);
    expect(counts).toEqual({
      events: 2010,
      podEvents: 1990,
      listEntries: 1992,
      spireRpcs: 2032,
      podPasses: 1000,
      podPassSeconds: { render: 0.5, spire_list: 2000 },
    });
    const before = {
      events: 10,
      podEvents: 0,
      listEntries: 2,
      spireRpcs: 2,
      podPasses: 10,
      podPassSeconds: { spire_list: 1000 },
    };
    expect(registrarCountsSince(before, counts)).toEqual({
      events: 2000,
      podEvents: 1990,
      listEntries: 1990,
      spireRpcs: 2030,
      podPasses: 990,
      podPassSeconds: { render: 0.5, spire_list: 1000 },
    });
  });

  it("takes the proxy's counts of a phase as a difference, per method", () => {
    const before = { [LIST_ALL]: { calls: 2, failed: 0, items: 1100 } };
    const after = {
      [LIST_ALL]: { calls: 2, failed: 0, items: 1100 },
      [LIST_FILTERED]: { calls: 1000, failed: 1, items: 999 },
    };
    expect(rpcCountsSince(before, after)).toEqual({
      [LIST_ALL]: { calls: 0, failed: 0, items: 0 },
      [LIST_FILTERED]: { calls: 1000, failed: 1, items: 999 },
    });
  });

  it("prints ListEntries per event in the table and the notes", () => {
    const run: RunResult = {
      workload: "W1",
      round: 1,
      system: "cluster-spiffeid",
      position: 0,
      ok: true,
      startedAt: "",
      loadavgStart: [],
      phases: {
        burst: {
          convergenceMs: 1000,
          entriesAtEnd: 2000,
          usage: { byRole: {}, byGroup: {} },
          audit: { ...NO_AUDIT, listEntries: 1000, listEntriesUnfiltered: 0 },
          registrar: {
            events: 2000,
            podEvents: 2000,
            listEntries: 1000,
            spireRpcs: 1020,
            podPasses: 1000,
            podPassSeconds: { kubernetes_read: 2000, render: 1, spire_list: 500, spire_write: 3000 },
          },
          spireRpcs: { [LIST_FILTERED]: { calls: 1000, failed: 0, items: 500 } },
        },
      },
    };
    const scm: RunResult = {
      ...run,
      system: "scm",
      phases: {
        burst: {
          convergenceMs: 1000,
          entriesAtEnd: 2000,
          usage: { byRole: {}, byGroup: {} },
          audit: { ...NO_AUDIT, listEntries: 26, listEntriesUnfiltered: 26 },
        },
      },
    };
    const results = { runs: [run, scm] } as unknown as Results;
    const table = summaryTable(results);
    expect(table).toContain(
      "| W1 burst: registrar ListEntries calls per event | n/a | n/a | n/a | n/a | 0.50 [0.50-0.50] n=1 |",
    );
    expect(table).toContain(
      "| W1 burst: … of which without a filter (pages of every entry) | n/a | n/a | n/a | 26 [26-26] n=1 | 0 [0-0] n=1 |",
    );
    expect(table).toContain(
      "| W1 burst: … per registrar event | n/a | n/a | n/a | n/a | 0.25 [0.25-0.25] n=1 |",
    );
    const notes = summaryNotes({ ...results, measurement: MEASUREMENT, skipped: {}, parity: [], machine });
    expect(notes).toContainEqual(
      expect.stringContaining(
        "scm W1 burst: 26 ListEntries (26 without a filter); cluster-spiffeid W1 burst: 1000 ListEntries (0 without a filter), 2000 events, 0.50 ListEntries per event, 1000 pod passes, mean ms per pass: kubernetes_read 2000, render 1, spire_list 500, spire_write 3000, 500 entries returned (0.25 per event)",
      ),
    );
  });
});
