/** The pure parts of `npm run bench:scale`: settings, the workload plan, expected entries, resyncs, goals. */
import { describe, expect, it } from "vitest";
import { noAuditCounts } from "../../bench/compare/entry-audit.js";
import { MEASUREMENT } from "../../bench/compare/measurement.js";
import { deriveExpected, type PodFacts, podFacts } from "../../bench/scale/expected-entries.js";
import type { PodStamps } from "../../bench/scale/pod-stamps.js";
import { notePodEvent } from "../../bench/scale/pod-stamps.js";
import { evaluateGoals, scaleTable } from "../../bench/scale/report.js";
import type { ScalePhase, ScaleResults } from "../../bench/scale/results.js";
import { outsideWindows, resyncWindows } from "../../bench/scale/resync-windows.js";
import { readScaleSettings } from "../../bench/scale/settings.js";
import { LIST_ALL } from "../../bench/scale/spire-proxy.js";
import { planWorkload, spread } from "../../bench/scale/workload-plan.js";

describe("settings", () => {
  it("defaults to the issue's 50,000 pods in 500 Deployments over 100 namespaces on 1,000 nodes", () => {
    const settings = readScaleSettings({});
    expect(settings).toMatchObject({
      pods: 50_000,
      nodes: 1000,
      deployments: 500,
      namespaces: 100,
      churnFraction: 0.1,
      deleteFraction: 0.5,
      resyncInterval: "0",
      floor: true,
    });
  });

  it("sizes Deployments and namespaces from the pods unless told, and refuses what cannot be", () => {
    expect(readScaleSettings({ BENCH_SCALE_PODS: "2000" })).toMatchObject({ deployments: 20, namespaces: 4 });
    expect(readScaleSettings({ BENCH_SCALE_PODS: "2000", BENCH_SCALE_DEPLOYMENTS: "8" })).toMatchObject({
      deployments: 8,
      namespaces: 2,
    });
    expect(() => readScaleSettings({ BENCH_SCALE_PODS: "5", BENCH_SCALE_DEPLOYMENTS: "6" })).toThrow(
      "more than the pods",
    );
    expect(() => readScaleSettings({ BENCH_SCALE_CHURN: "1.5" })).toThrow("want a fraction in (0, 1]");
    expect(() => readScaleSettings({ BENCH_SCALE_NODES: "many" })).toThrow("want an integer >= 1");
  });
});

describe("workload plan", () => {
  it("spreads indices evenly", () => {
    expect(spread(3, 10)).toEqual([0, 3, 6]);
    expect(spread(5, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(spread(7, 3)).toEqual([0, 1, 2]);
    expect(spread(0, 3)).toEqual([]);
  });

  it("gives the Deployments all the pods, in blocks per namespace; churns a tenth, deletes half", () => {
    const plan = planWorkload({
      pods: 50_000,
      deployments: 500,
      namespaces: 100,
      churnFraction: 0.1,
      deleteFraction: 0.5,
    });
    expect(plan.deployments.reduce((sum, d) => sum + d.replicas, 0)).toBe(50_000);
    expect(plan.deployments.slice(0, 6).map((d) => `${d.namespace}/${d.name}`)).toEqual([
      "scale-0/app-0",
      "scale-0/app-1",
      "scale-0/app-2",
      "scale-0/app-3",
      "scale-0/app-4",
      "scale-1/app-5",
    ]);
    expect(plan.churned).toHaveLength(50);
    expect(plan.churned.reduce((sum, d) => sum + d.replicas, 0)).toBe(5000);
    expect(new Set(plan.churned.map((d) => d.namespace)).size).toBe(50);
    expect(plan.deletedNamespaces).toHaveLength(50);
    expect(plan.deletedNamespaces.slice(0, 2)).toEqual(["scale-1", "scale-3"]);
    // With the defaults the churned namespaces survive the deletion.
    const deleted = new Set(plan.deletedNamespaces);
    expect(plan.churned.filter((d) => deleted.has(d.namespace))).toEqual([]);
  });

  it("hands out the pods that do not divide evenly one by one", () => {
    const plan = planWorkload({
      pods: 7,
      deployments: 3,
      namespaces: 2,
      churnFraction: 1,
      deleteFraction: 0.5,
    });
    expect(plan.deployments.map((d) => d.replicas)).toEqual([3, 2, 2]);
    expect(plan.deployments.map((d) => d.namespace)).toEqual(["scale-0", "scale-0", "scale-1"]);
    expect(plan.churned).toHaveLength(3);
    expect(plan.deletedNamespaces).toEqual(["scale-1"]);
  });
});

describe("expected entries", () => {
  const identity = {
    trustDomain: "example.org",
    cluster: "bench",
    controllerName: "spire-k8s-registrar",
    disabledNamespaces: ["kube-system"],
  };
  const pod = (overrides: Partial<PodFacts>): PodFacts => ({
    namespace: "a",
    name: "p",
    serviceAccount: "default",
    nodeName: "n-1",
    phase: "Running",
    podIP: "10.64.0.1",
    terminating: false,
    app: undefined,
    ...overrides,
  });

  it("derives a node's and a pod's entry as the README's reconcile-mode rules say", () => {
    const expected = deriveExpected([pod({ serviceAccount: "web" })], ["n-1"], identity);
    expect(expected.lines).toEqual([
      "spiffe://example.org/ns/a/sa/web parent=spiffe://example.org/spire-k8s-registrar/bench/node/n-1 " +
        "selectors=[k8s:ns:a,k8s:pod-name:p] dns=[]",
      "spiffe://example.org/spire-k8s-registrar/bench/node/n-1 parent=spiffe://example.org/spire/server " +
        "selectors=[k8s_psat:agent_node_name:n-1,k8s_psat:cluster:bench] dns=[]",
    ]);
    expect(expected.keys).toEqual(["node:n-1", "a/p"]);
  });

  it("leaves out unscheduled, finished and disabled-namespace pods; keeps terminating ones", () => {
    const expected = deriveExpected(
      [
        pod({ name: "pending", nodeName: undefined, phase: "Pending" }),
        pod({ name: "done", phase: "Succeeded" }),
        pod({ name: "failed", phase: "Failed" }),
        pod({ name: "system", namespace: "kube-system" }),
        pod({ name: "leaving", terminating: true }),
      ],
      [],
      identity,
    );
    expect(expected.keys).toEqual(["a/leaving"]);
  });

  it("reads a pod's facts from the API server's JSON", () => {
    expect(
      podFacts({
        metadata: { namespace: "a", name: "p", labels: { app: "app-1" }, deletionTimestamp: new Date(0) },
        spec: { containers: [], nodeName: "n-1", serviceAccountName: "web" },
        status: { phase: "Running", podIP: "10.64.0.1" },
      }),
    ).toEqual({
      namespace: "a",
      name: "p",
      serviceAccount: "web",
      nodeName: "n-1",
      phase: "Running",
      podIP: "10.64.0.1",
      terminating: true,
      app: "app-1",
    });
    expect(
      podFacts({ metadata: { namespace: "a", name: "p" }, spec: { containers: [], nodeName: "" } }),
    ).toMatchObject({
      serviceAccount: "default",
      nodeName: undefined,
      terminating: false,
    });
  });
});

describe("pod stamps", () => {
  it("stamps the first sight of a pod on a node and its deletion, once each", () => {
    const stamps: PodStamps = { scheduledAt: new Map(), goneAt: new Map(), problems: [] };
    const meta = { namespace: "a", name: "p", resourceVersion: "7" };
    expect(notePodEvent(stamps, "ADDED", { metadata: meta, spec: { containers: [] } }, 1)).toBe("7");
    notePodEvent(stamps, "MODIFIED", { metadata: meta, spec: { containers: [], nodeName: "n" } }, 2);
    notePodEvent(stamps, "MODIFIED", { metadata: meta, spec: { containers: [], nodeName: "n" } }, 3);
    notePodEvent(stamps, "DELETED", { metadata: meta, spec: { containers: [], nodeName: "n" } }, 4);
    expect(Object.fromEntries(stamps.scheduledAt)).toEqual({ "a/p": 2 });
    expect(Object.fromEntries(stamps.goneAt)).toEqual({ "a/p": 4 });
  });
});

describe("resync windows", () => {
  const line = (fields: Record<string, unknown>) => JSON.stringify({ level: "info", ...fields });

  it("reads each resync's window from its last log line, and finds full lists outside them", () => {
    const log = [
      line({
        time: "2026-12-01T10:00:05.000Z",
        msg: "resync done",
        durationMs: 4000,
        entries: 0,
        created: 51,
      }),
      "not json",
      line({ time: "2026-12-01T10:00:06.000Z", msg: "pod entries" }),
      line({ time: "2026-12-01T10:10:00.000Z", msg: "resync failed: SPIRE", durationMs: 500, entries: 3 }),
      "",
    ].join("\n");
    const windows = resyncWindows(log);
    const at = (iso: string) => Date.parse(iso);
    expect(windows).toEqual([
      {
        startMs: at("2026-12-01T10:00:01.000Z"),
        endMs: at("2026-12-01T10:00:05.000Z"),
        ok: true,
        entries: 0,
        created: 51,
        existing: 0,
        updated: 0,
        deleted: 0,
      },
      expect.objectContaining({ ok: false, entries: 3, startMs: at("2026-12-01T10:09:59.500Z") }),
    ]);
    const inside = {
      startMs: at("2026-12-01T10:00:01.100Z"),
      endMs: at("2026-12-01T10:00:01.200Z"),
      entries: 0,
    };
    const late = {
      startMs: at("2026-12-01T10:00:07.000Z"),
      endMs: at("2026-12-01T10:00:07.100Z"),
      entries: 9,
    };
    expect(outsideWindows([inside, late], windows)).toEqual([late]);
  });
});

describe("goals and table", () => {
  const phase = (overrides: Partial<ScalePhase>): ScalePhase => ({
    convergenceMs: 1000,
    usage: { byRole: {}, byGroup: {} },
    benchCpuSeconds: 0,
    audit: noAuditCounts(),
    rpcs: {},
    entriesAtEnd: 0,
    check: {
      round: 0,
      phase: "x",
      systems: ["expected", "spire-server"],
      match: true,
      onlyFirst: 0,
      onlySecond: 0,
      examplesFirst: [],
      examplesSecond: [],
    },
    ...overrides,
  });
  const results = (overrides: Partial<ScaleResults>): ScaleResults => ({
    settings: readScaleSettings({}),
    measurement: MEASUREMENT,
    machine: { cpus: 2, node: "v20", registrarNode: "v24", kernel: "6", loadavgStart: [1, 1, 1] },
    startedAt: "2026-12-01T10:00:00.000Z",
    setup: {},
    phases: {},
    ...overrides,
  });
  const usage = (hwmMiB: number) => ({
    byRole: {},
    byGroup: { system: { cpuSeconds: 1, peakRssMiB: hwmMiB, hwmMiB } },
  });

  it("judges each goal by its figure, and says when a figure is missing", () => {
    const met = evaluateGoals(
      results({
        phases: {
          floor: phase({ convergenceMs: 100_000 }),
          cold: phase({ convergenceMs: 119_000 }),
          churn: phase({
            perPod: { p50Ms: 300, p99Ms: 1999, maxMs: 2500, minMs: 5, pods: 10, unstamped: 0 },
          }),
        },
        run: usage(500),
        resyncs: [],
        fullLists: [{ startMs: 0, endMs: 1, entries: 0 }],
        fullListsOutsideResyncs: [],
      }),
    );
    expect(met.map((g) => [g.value, g.met])).toEqual([
      ["1.19x", true],
      ["1999 ms", true],
      ["500 MiB", true],
      ["1 without a filter, 0 outside the 0 resync(s)", true],
    ]);
    const missed = evaluateGoals(
      results({
        phases: { floor: phase({ convergenceMs: 100_000 }), cold: phase({ convergenceMs: 121_000 }) },
        run: usage(513),
        fullListsOutsideResyncs: [{ startMs: 0, endMs: 1, entries: 5 }],
      }),
    );
    expect(missed.map((g) => g.met)).toEqual([false, undefined, false, false]);
  });

  it("prints a column per phase that ran and leaves out rows no phase has", () => {
    const table = scaleTable(
      results({
        phases: {
          cold: phase({ convergenceMs: 2500, rpcs: { [LIST_ALL]: { calls: 2, failed: 0, items: 1000 } } }),
        },
      }),
    );
    const lines = table.split("\n");
    expect(lines[0]).toBe("| figure | cold start |");
    expect(lines).toContain("| converged after (s) | 2.50 |");
    expect(lines).toContain("| SPIRE ListEntries without a filter: calls / entries listed | 2 / 1000 |");
    expect(lines).toContain("| entries = the expected set | yes |");
    expect(table).not.toContain("per pod");
  });
});
