/** Builds `resync` from a runtime: the mode's context, the Lease when `leader_election` is on, shared deps. */
import type { Hono } from "hono";
import { crdContext, type Runtime, reconcileContext, resyncLease } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

export function resyncApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  const lease = resyncLease(runtime, env);
  return createApp({
    ...(runtime.config.mode === "crd"
      ? { crd: crdContext(runtime, env) }
      : { reconcile: reconcileContext(runtime) }),
    logger: runtime.logger,
    readiness: runtime.readiness,
    now: Date.now,
    ...(lease ? { lease } : {}),
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
}
