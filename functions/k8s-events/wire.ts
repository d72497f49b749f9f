/** Builds `k8s-events` from a runtime: the mode's context (reconcile/webhook or crd) and shared deps. */
import type { Hono } from "hono";
import { crdContext, type Runtime, reconcileContext } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

export function k8sEventsApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  return createApp({
    ...(runtime.config.mode === "crd"
      ? { crd: crdContext(runtime, env) }
      : { reconcile: reconcileContext(runtime) }),
    logger: runtime.logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
}
