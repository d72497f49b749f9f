/** Builds `k8s-events` from a runtime: the mode's context (reconcile/webhook or crd) and shared deps. */
import type { Hono } from "hono";
import { modeContext, type Runtime } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

export function k8sEventsApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  return createApp({
    ...modeContext(runtime, env),
    logger: runtime.logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
}
