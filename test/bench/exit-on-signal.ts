/**
 * SIGINT/SIGTERM would end a benchmark's vitest worker without its exit hooks; exiting instead runs
 * them, and the e2e harness's hook kills every peer still running (by PID).
 */
export function exitOnSignals(): void {
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => process.exit(130));
}
