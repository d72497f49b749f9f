/** Container entry point of `cluster-spiffeid-validation` (see app.ts and start.ts). */
import { serveHealthListener } from "../../lib/http/health-listener.js";
import { runFunction } from "../../lib/runtime/main.js";
import { startClusterSpiffeIdValidation } from "./start.js";

await runFunction("cluster-spiffeid-validation", async (runtime) => [
  ...(await startClusterSpiffeIdValidation(runtime)),
  ...(await serveHealthListener(runtime, "cluster-spiffeid-validation")),
]);
