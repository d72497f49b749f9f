/**
 * Health endpoints every function serves. `/healthz` says the process is alive; `/readyz` runs the
 * function's readiness check (e.g. configuration loaded, SPIRE reachable) and answers 503 with
 * the reason when it fails, so Knative's queue-proxy and the kubelet route around it.
 */
import type { Hono } from "hono";

export type ReadinessCheck = () => Promise<{ ready: true } | { ready: false; reason: string }>;

export function addHealthRoutes(app: Hono, readiness: ReadinessCheck): void {
  app.get("/healthz", (c) => c.text("ok"));
  app.get("/readyz", async (c) => {
    const result = await readiness().catch((error: unknown) => ({
      ready: false as const,
      reason: error instanceof Error ? error.message : String(error),
    }));
    return result.ready ? c.text("ok") : c.text(`not ready: ${result.reason}`, 503);
  });
}
