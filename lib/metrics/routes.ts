/**
 * `GET /metrics` in the Prometheus text format, on a function's own port (a Knative Service has
 * exactly one port). Not added when metrics are disabled (`metrics_addr = "0"`).
 */
import type { Hono } from "hono";
import type { Metrics } from "./metrics.js";

export function addMetricsRoute(app: Hono, metrics: Metrics | undefined): void {
  if (!metrics) return;
  app.get("/metrics", async (c) =>
    c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType }),
  );
}

/** Whether a `metrics_addr`/`metrics_bind_addr` value turns metrics on ("0" turns them off). */
export function metricsEnabled(address: string): boolean {
  return address.trim() !== "0";
}
