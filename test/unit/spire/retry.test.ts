import { Code } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { chunk, mapBounded } from "../../../lib/spire/bounded.js";
import { SpireError } from "../../../lib/spire/errors.js";
import { backoffDelayMs, withRetry } from "../../../lib/spire/retry.js";

const policy = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1_000 };

describe("backoff", () => {
  it("doubles the ceiling per retry up to the maximum, scaled by the jitter", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelayMs(policy, n, () => 0.999))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelayMs(policy, 3, () => 0)).toBe(0);
  });
});

describe("withRetry", () => {
  const unavailable = new SpireError("down", "unavailable", Code.Unavailable, "ListEntries");
  const invalid = new SpireError("bad", "rejected", Code.InvalidArgument, "ListEntries");

  it("retries retryable failures and returns the first success", async () => {
    const outcomes = [unavailable, unavailable];
    const slept: number[] = [];
    const result = await withRetry(
      async () => {
        const error = outcomes.shift();
        return error ? { ok: false, error } : { ok: true, value: "done" };
      },
      policy,
      { sleep: async (ms) => void slept.push(ms) },
      () => 0.5,
    );
    expect(result).toEqual({ ok: true, value: "done" });
    expect(slept).toEqual([50, 100]);
  });

  it("returns a non-retryable failure at once", async () => {
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        return { ok: false, error: invalid };
      },
      policy,
      { sleep: async () => {} },
      () => 0.5,
    );
    expect(result).toEqual({ ok: false, error: invalid });
    expect(calls).toBe(1);
  });
});

describe("mapBounded", () => {
  it("keeps input order and never exceeds the limit", async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it("splits into chunks of at most the size", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
  });
});
