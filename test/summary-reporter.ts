import { appendFileSync } from "node:fs";
import type { Reporter, TestModule } from "vitest/node";

/**
 * Prints the closing line `N passed, N failed` (`, N skipped` when any) that CI reads.
 * With FAIL_ON_SKIP=1 a skipped test fails the run: CI must never pass on an
 * end-to-end suite that silently did nothing. With SUMMARY_FILE set, the counts are also appended
 * to that file as a JSON line, so a script running several suites can print one total.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const testModule of testModules) {
      if (testModule.state() === "failed" && testModule.children.size === 0) failed++;
      for (const test of testModule.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
    }
    const line = `${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`;
    process.stdout.write(`\n${line}\n`);
    const summaryFile = process.env.SUMMARY_FILE;
    if (summaryFile) appendFileSync(summaryFile, `${JSON.stringify({ passed, failed, skipped })}\n`);
    if (skipped > 0 && process.env.FAIL_ON_SKIP === "1") {
      process.stdout.write(`FAIL_ON_SKIP=1: ${skipped} skipped test(s) count as a failure\n`);
      process.exitCode = 1;
    }
  }
}
