/** Container entry point of `k8s-events` (see app.ts). */
import { runFunction, serveEventFunction } from "../../lib/runtime/main.js";
import { k8sEventsFunction } from "./wire.js";

await runFunction("k8s-events", (runtime) =>
  serveEventFunction(runtime, "k8s-events", k8sEventsFunction(runtime, process.env)),
);
