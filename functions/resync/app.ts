/**
 * `resync`: a full reconciliation on demand, triggered by a Knative PingSource (or any scheduler
 * POSTing to it). One resync runs at a time per instance, and with `leader_election` one per
 * cluster (a Lease); a call that finds one running answers 202 with the reason at once.
 * In CRD mode (deps.crd) it runs lib/crd-sync/resync.ts: pods and nodes -> SpiffeIDs -> entries, then
 * deletes the entries no SpiffeID records. In cluster-spiffeid mode it runs the full pass (lib/scm-sync), which
 * also writes the custom resources' status.
 * Replies 200 with a JSON summary, or 503 with the summary so far (what was written before the failure)
 * when SPIRE or the API server is unavailable, 500 when retrying cannot help (e.g. PermissionDenied).
 */
import { type Context, Hono } from "hono";
import type { Logger } from "pino";
import type { CrdContext } from "../../lib/crd-sync/context.js";
import { countCrdEntries } from "../../lib/crd-sync/result-response.js";
import { type CrdResyncResult, resyncCrd } from "../../lib/crd-sync/resync.js";
import { failureResponse } from "../../lib/http/failure.js";
import { addHealthRoutes, type ReadinessCheck } from "../../lib/http/health.js";
import type { LeaseLock } from "../../lib/k8s/lease.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import type { ReconcileContext } from "../../lib/reconcile/context.js";
import { resync } from "../../lib/reconcile/resync.js";
import type { ScmSyncContext } from "../../lib/scm-sync/context.js";
import { countScmEntries } from "../../lib/scm-sync/events.js";
import { runFullPass } from "../../lib/scm-sync/full-pass.js";

/** Reconcile and webhook modes pass `reconcile`; CRD mode passes `crd`; cluster-spiffeid mode `clusterSpiffeId`. */
export type ResyncDeps = ResyncCommonDeps &
  (
    | { readonly reconcile: ReconcileContext; readonly crd?: undefined; readonly clusterSpiffeId?: undefined }
    | { readonly crd: CrdContext; readonly reconcile?: undefined; readonly clusterSpiffeId?: undefined }
    | { readonly clusterSpiffeId: ScmSyncContext; readonly reconcile?: undefined; readonly crd?: undefined }
  );

interface ResyncCommonDeps {
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly now: () => number;
  /** Present when `leader_election` is on. */
  readonly lease?: LeaseLock;
  readonly metrics?: Metrics;
}

export function createApp(deps: ResyncDeps): Hono {
  const app = new Hono();
  addHealthRoutes(app, deps.readiness);
  addMetricsRoute(app, deps.metrics);
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
      const started = deps.now();
      let response: Response | undefined;
      try {
        response = await runResync(c, deps);
        return response;
      } finally {
        if (held?.acquired) await held.release().catch(() => undefined);
        deps.metrics?.resync((deps.now() - started) / 1000, response?.status === 200, deps.now() / 1000);
      }
    } catch (error) {
      return failureResponse(c, error, deps.logger);
    } finally {
      running = false;
    }
  });
  return app;
}

/** Runs the mode's resync: 200 with the summary, or 503 (500 when retrying cannot help) with the summary so far. */
async function runResync(c: Context, deps: ResyncDeps): Promise<Response> {
  if (deps.clusterSpiffeId !== undefined) {
    const result = await runFullPass(deps.clusterSpiffeId);
    countScmEntries(deps.metrics, result.summary);
    if (!result.ok) {
      deps.logger.error({ ...result.summary }, `resync failed: ${result.message}`);
      return c.json(
        { status: "failed", error: result.message, ...result.summary },
        result.retryable ? 503 : 500,
      );
    }
    deps.logger.info({ ...result.summary }, "resync done");
    return c.json({ status: "done", ...result.summary }, 200);
  }
  if (deps.crd !== undefined) {
    return crdResyncResponse(
      await resyncCrd({ ...deps.crd, logger: deps.logger, now: deps.now }),
      deps.logger,
      deps.metrics,
    );
  }
  const result = await resync({ ...deps.reconcile, logger: deps.logger }, deps.now);
  if (!result.ok) {
    deps.logger.error({ ...result.summary }, `resync failed: ${result.error.message}`);
    return c.json(
      { status: "failed", error: result.error.message, ...result.summary },
      result.error.retryable ? 503 : 500,
    );
  }
  deps.logger.info({ ...result.summary }, "resync done");
  return c.json({ status: "done", ...result.summary }, 200);
}

/** 200 with the summary, or 503/500 with the summary so far. */
function crdResyncResponse(result: CrdResyncResult, logger: Logger, metrics: Metrics | undefined): Response {
  countCrdEntries(metrics, result.summary);
  if (!result.ok) {
    logger.error({ ...result.summary }, `resync failed: ${result.message}`);
    return Response.json(
      { status: "failed", error: result.message, ...result.summary },
      { status: result.retryable ? 503 : 500 },
    );
  }
  logger.info({ ...result.summary }, "resync done");
  return Response.json({ status: "done", ...result.summary }, { status: 200 });
}
