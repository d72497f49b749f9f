/**
 * One line saying why something failed, for warnings about failures that are expected and retried
 * (SPIRE unavailable, a watch cut): an operator needs the reason, not a 2 KB stack at every retry.
 * Errors that point at a bug keep `err` (pino serializes the stack).
 */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*\n\s*/g, " ").trim();
}
