/** Builds `resync` from a runtime: the mode's context, the Lease when `leader_election` is on, shared deps. */
import type { Hono } from "hono";
import { modeContext, type Runtime, resyncLease } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

export function resyncApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  const lease = resyncLease(runtime, env);
  return createApp({
    ...modeContext(runtime, env),
    logger: runtime.logger,
    readiness: runtime.readiness,
    now: Date.now,
    ...(lease ? { lease } : {}),
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
}
