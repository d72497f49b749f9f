/** Container entry point of `resync` (see app.ts). */
import { runFunction, serveHttp } from "../../lib/runtime/main.js";
import { resyncApp } from "./wire.js";

await runFunction("resync", (runtime) => serveHttp(runtime, "resync", resyncApp(runtime, process.env)));
