/** Container entry point of `spiffeid-validation` (see app.ts and start.ts). */
import { runFunction } from "../../lib/runtime/main.js";
import { startSpiffeIdValidation } from "./start.js";

await runFunction("spiffeid-validation", (runtime) => startSpiffeIdValidation(runtime));
