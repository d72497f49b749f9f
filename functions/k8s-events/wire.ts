/** Builds `k8s-events` from a runtime: the mode's context (reconcile/webhook or crd) and shared deps. */
import type { Hono } from "hono";
import type { EventHandler } from "../../lib/events/event-endpoint.js";
import { modeContext, type Runtime } from "../../lib/runtime/runtime.js";
import { createApp, createHandler } from "./app.js";

export function k8sEventsApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  return k8sEventsFunction(runtime, env).app;
}

/** The app and its handler, sharing one single-flight state (the handler takes in-process events). */
export function k8sEventsFunction(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>>,
): { app: Hono; handler: EventHandler } {
  const deps = {
    ...modeContext(runtime, env),
    logger: runtime.logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
    ack: runtime.config.eventAck,
  };
  const handler = createHandler(deps);
  return { app: createApp(deps, handler), handler };
}
