/** Builds `spiffeid-events` from a crd-mode runtime. */
import type { Hono } from "hono";
import { crdContext, type Runtime } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

export function spiffeIdEventsApp(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): Hono {
  return createApp({
    crd: crdContext(runtime, env),
    logger: runtime.logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
}
