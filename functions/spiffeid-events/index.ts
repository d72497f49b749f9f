/** Container entry point of `spiffeid-events` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { crdContext } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

await runFunction("spiffeid-events", (runtime) =>
  serveHttp(
    runtime,
    "spiffeid-events",
    createApp({
      crd: crdContext(runtime, process.env),
      logger: runtime.logger,
      readiness: runtime.readiness,
    }),
  ),
);
