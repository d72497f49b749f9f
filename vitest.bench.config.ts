import { defineConfig } from "vitest/config";

// End-to-end benchmarks on the real peers (`npm run bench:reconcile`). Kept out of the unit and
// e2e projects: they print figures and assert no timings.
export default defineConfig({
  test: {
    include: ["test/bench/**/*.bench.ts"],
    testTimeout: 900_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
