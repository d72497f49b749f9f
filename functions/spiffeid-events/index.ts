/** Container entry point of `spiffeid-events` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { spiffeIdEventsApp } from "./wire.js";

await runFunction("spiffeid-events", (runtime) =>
  serveHttp(runtime, "spiffeid-events", spiffeIdEventsApp(runtime, process.env)),
);
