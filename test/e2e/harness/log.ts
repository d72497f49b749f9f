/** Where harness components report progress and timings (one line per call). */
export type HarnessLog = (line: string) => void;

/**
 * The default `HarnessLog`: stderr with an `[e2e]` prefix, which vitest shows next to the
 * test that produced it.
 */
export const stderrLog: HarnessLog = (line) => {
  process.stderr.write(`[e2e] ${line}\n`);
};

/** Milliseconds since `startedAt` (a `performance.now()` value), rounded. */
export function elapsedMs(startedAt: number): number {
  return Math.round(performance.now() - startedAt);
}
