/** Container entry point of `pod-admission` (see app.ts and start.ts). */
import { serveHealthListener } from "../../lib/http/health-listener.js";
import { runFunction } from "../../lib/runtime/main.js";
import { startPodAdmission } from "./start.js";

await runFunction("pod-admission", async (runtime) => [
  ...(await startPodAdmission(runtime)),
  ...(await serveHealthListener(runtime, "pod-admission")),
]);
