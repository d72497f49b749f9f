/** Container entry point of `k8s-events` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { k8sEventsApp } from "./wire.js";

await runFunction("k8s-events", (runtime) =>
  serveHttp(runtime, "k8s-events", k8sEventsApp(runtime, process.env)),
);
