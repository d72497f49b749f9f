/** Container entry point of `resync` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { reconcileContext, resyncLease } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

await runFunction("resync", (runtime) =>
  serveHttp(
    runtime,
    "resync",
    createApp({
      reconcile: reconcileContext(runtime),
      logger: runtime.logger,
      readiness: runtime.readiness,
      now: Date.now,
      lease: resyncLease(runtime, process.env),
    }),
  ),
);
