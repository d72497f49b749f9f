/** Container entry point of `k8s-events` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { crdContext, reconcileContext } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

await runFunction("k8s-events", (runtime) =>
  serveHttp(
    runtime,
    "k8s-events",
    createApp({
      ...(runtime.config.mode === "crd"
        ? { crd: crdContext(runtime, process.env) }
        : { reconcile: reconcileContext(runtime) }),
      logger: runtime.logger,
      readiness: runtime.readiness,
    }),
  ),
);
