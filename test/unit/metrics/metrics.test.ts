import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../../lib/metrics/metrics.js";
import { addMetricsRoute, metricsEnabled } from "../../../lib/metrics/routes.js";

describe("metrics", () => {
  it("exposes every registrar metric in the Prometheus text format", async () => {
    const metrics = createMetrics();
    metrics.event("Pod", "dev.knative.apiserver.ref.add", "done");
    metrics.entries("created", 3);
    metrics.entries("failed", 0);
    metrics.spireRpc("BatchCreateEntry", "OK", 0.004);
    metrics.resync(1.5, true, 1_700_000_000);
    metrics.admission("CREATE", "allowed");
    const app = new Hono();
    addMetricsRoute(app, metrics);
    const response = await app.request("/metrics");
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    expect(text).toContain(
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"} 1',
    );
    expect(text).toContain('registrar_entries_total{action="created"} 3');
    expect(text).not.toContain('action="failed"');
    expect(text).toContain(
      'registrar_spire_rpc_duration_seconds_bucket{le="0.005",method="BatchCreateEntry",code="OK"} 1',
    );
    expect(text).toContain('registrar_resync_duration_seconds_count{result="success"} 1');
    expect(text).toContain("registrar_last_successful_resync_timestamp_seconds 1700000000");
    expect(text).toContain('registrar_admission_reviews_total{operation="CREATE",outcome="allowed"} 1');
  });

  it("has no resync metrics in a process that runs no resync", async () => {
    const metrics = createMetrics({ resync: false });
    metrics.resync(1.5, true, 1_700_000_000);
    const text = await metrics.registry.metrics();
    expect(text).not.toContain("registrar_last_successful_resync_timestamp_seconds");
    expect(text).not.toContain("registrar_resync_duration_seconds");
    expect(text).toContain("registrar_spire_rpc_duration_seconds");
  });

  it('is off for metrics_addr "0" and on for any address', async () => {
    expect(metricsEnabled("0")).toBe(false);
    expect(metricsEnabled(":8080")).toBe(true);
    const app = new Hono();
    addMetricsRoute(app, undefined);
    expect((await app.request("/metrics")).status).toBe(404);
  });
});

describe("crd-mode entry writes", () => {
  it("counts created, updated, deleted and refused entries from a handler's summary", async () => {
    const { countCrdEntries } = await import("../../../lib/crd-sync/result-response.js");
    const { emptyCrdSummary } = await import("../../../lib/crd-sync/context.js");
    const metrics = createMetrics();
    countCrdEntries(metrics, {
      ...emptyCrdSummary(),
      entriesCreated: 2,
      entriesDeleted: 1,
      entriesRejected: 1,
    });
    const text = await metrics.registry.metrics();
    expect(text).toContain('registrar_entries_total{action="created"} 2');
    expect(text).toContain('registrar_entries_total{action="deleted"} 1');
    expect(text).toContain('registrar_entries_total{action="failed"} 1');
    expect(text).not.toContain('action="updated"');
  });
});
