/** Container entry point of `spiffeid-validation` (see app.ts and start.ts). */
import { serveHealthListener } from "../../lib/http/health-listener.js";
import { runFunction } from "../../lib/runtime/main.js";
import { startSpiffeIdValidation } from "./start.js";

await runFunction("spiffeid-validation", async (runtime) => [
  ...(await startSpiffeIdValidation(runtime)),
  ...(await serveHealthListener(runtime, "spiffeid-validation")),
]);
