/** Container entry point of `spiffeid-events` (see app.ts). */
import { runFunction, serveEventFunction } from "../../lib/runtime/main.js";
import { spiffeIdEventsFunction } from "./wire.js";

await runFunction("spiffeid-events", (runtime) =>
  serveEventFunction(runtime, "spiffeid-events", spiffeIdEventsFunction(runtime, process.env)),
);
