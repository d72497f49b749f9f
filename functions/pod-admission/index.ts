/** Container entry point of `pod-admission` (see app.ts and start.ts). */
import { runFunction } from "../../lib/runtime/main.js";
import { startPodAdmission } from "./start.js";

await runFunction("pod-admission", startPodAdmission);
