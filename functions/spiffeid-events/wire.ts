/** Builds `spiffeid-events` from a crd-mode runtime. */
import type { Hono } from "hono";
import type { EventHandler } from "../../lib/events/event-endpoint.js";
import { crdContext, type Runtime } from "../../lib/runtime/runtime.js";
import { createApp, createHandler } from "./app.js";

export function spiffeIdEventsApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  return spiffeIdEventsFunction(runtime, env).app;
}

/** The app and its handler, sharing one single-flight state (the handler takes in-process events). */
export function spiffeIdEventsFunction(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>>,
): { app: Hono; handler: EventHandler } {
  const deps = {
    crd: crdContext(runtime, env),
    logger: runtime.logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
    ack: runtime.config.eventAck,
  };
  const handler = createHandler(deps);
  return { app: createApp(deps, handler), handler };
}
