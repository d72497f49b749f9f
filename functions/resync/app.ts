/**
 * `resync`: a full reconciliation on demand, triggered by a Knative PingSource (or any scheduler
 * POSTing to it). One resync runs at a time per instance, and with `leader_election` one per
 * cluster (a Lease); a call that finds one running answers 202 with the reason at once.
 * Replies 200 with a JSON summary, or 503 with the summary so far when SPIRE or the API server is
 * unavailable.
 */
import { Hono } from "hono";
import type { Logger } from "pino";
import { failureResponse } from "../../lib/http/failure.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import type { LeaseLock } from "../../lib/k8s/lease.js";
import type { ReconcileContext } from "../../lib/reconcile/context.js";
import { resync } from "../../lib/reconcile/resync.js";

export interface ResyncDeps {
  readonly reconcile: ReconcileContext;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly now: () => number;
  /** Present when `leader_election` is on. */
  readonly lease?: LeaseLock;
}

export function createApp(deps: ResyncDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  let running = false;

  app.post("/", async (c) => {
    if (running)
      return c.json({ status: "skipped", reason: "a resync is already running in this instance" }, 202);
    running = true;
    try {
      const held = deps.lease ? await deps.lease.tryAcquire() : undefined;
      if (held && !held.acquired) {
        return c.json(
          { status: "skipped", reason: `a resync is already running (lease held by ${held.holder})` },
          202,
        );
      }
      try {
        const result = await resync({ ...deps.reconcile, logger: deps.logger }, deps.now);
        if (!result.ok) {
          deps.logger.error({ ...result.summary }, `resync failed: ${result.error.message}`);
          return c.json({ status: "failed", error: result.error.message, ...result.summary }, 503);
        }
        deps.logger.info({ ...result.summary }, "resync done");
        return c.json({ status: "done", ...result.summary }, 200);
      } finally {
        if (held?.acquired) await held.release().catch(() => undefined);
      }
    } catch (error) {
      return failureResponse(c, error, deps.logger);
    } finally {
      running = false;
    }
  });
  return app;
}
