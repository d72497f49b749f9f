/** Container entry point of `k8s-events` (see app.ts). */

import { runFunction } from "../../lib/runtime/main.js";
import { reconcileContext } from "../../lib/runtime/runtime.js";
import { createApp } from "./app.js";

await runFunction("k8s-events", (runtime) =>
  createApp({ reconcile: reconcileContext(runtime), logger: runtime.logger, readiness: runtime.readiness }),
);
