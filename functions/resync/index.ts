/** Container entry point of `resync` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { crdContext, reconcileContext, resyncLease } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

await runFunction("resync", (runtime) =>
  serveHttp(
    runtime,
    "resync",
    createApp({
      ...(runtime.config.mode === "crd"
        ? { crd: crdContext(runtime, process.env) }
        : { reconcile: reconcileContext(runtime) }),
      logger: runtime.logger,
      readiness: runtime.readiness,
      now: Date.now,
      lease: resyncLease(runtime, process.env),
    }),
  ),
);
