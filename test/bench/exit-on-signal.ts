/**
 * What a long benchmark does on SIGINT or SIGTERM: kill every peer it started (by PID, through the
 * e2e harness's registry) and die of the signal. Exiting through the harness's exit hook is not an
 * option: vitest replaces `process.exit` in its workers while tests run with a function that throws.
 */
import { killLivePeers } from "../e2e/harness/cleanup.js";

export function exitOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      killLivePeers();
      // This listener is gone now: the signal's default action ends the process.
      process.kill(process.pid, signal);
    });
  }
}
