import { describe, expect, it } from "vitest";
import { createKeyedBatcher } from "../../../lib/reconcile/keyed-batcher.js";

/** A run whose batches the test finishes by hand. */
function controlledRun() {
  const batches: Array<{
    items: string[];
    finish: (results?: string[]) => void;
    fail: (e: unknown) => void;
  }> = [];
  const run = (items: readonly string[]) =>
    new Promise<string[]>((resolve, reject) => {
      batches.push({
        items: [...items],
        finish: (results) => resolve(results ?? items.map((item) => `done ${item} #${batches.length}`)),
        fail: reject,
      });
    });
  return { batches, run };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("createKeyedBatcher", () => {
  it("runs a lone item on the next turn, alone", async () => {
    const { batches, run } = controlledRun();
    const batcher = createKeyedBatcher({ keyOf: (s: string) => s, run, maxBatch: 10, maxInFlight: 2 });
    const result = batcher.submit("a");
    await turn();
    expect(batches.map((b) => b.items)).toEqual([["a"]]);
    batches[0]?.finish(["A"]);
    await expect(result).resolves.toBe("A");
    expect(batcher.pending()).toBe(0);
  });

  it("batches items submitted together, and joins repeated keys into one run", async () => {
    const { batches, run } = controlledRun();
    const batcher = createKeyedBatcher({ keyOf: (s: string) => s, run, maxBatch: 10, maxInFlight: 2 });
    const results = ["a", "b", "a", "c", "b"].map((item) => batcher.submit(item));
    await turn();
    expect(batches.map((b) => b.items)).toEqual([["a", "b", "c"]]);
    batches[0]?.finish(["A", "B", "C"]);
    await expect(Promise.all(results)).resolves.toEqual(["A", "B", "A", "C", "B"]);
  });

  it("only marks a running key dirty: one more run after it, whatever the number of events", async () => {
    const { batches, run } = controlledRun();
    const batcher = createKeyedBatcher({ keyOf: (s: string) => s, run, maxBatch: 10, maxInFlight: 4 });
    const first = batcher.submit("a");
    await turn();
    const later = [batcher.submit("a"), batcher.submit("a"), batcher.submit("a")];
    await turn();
    // The second run must not start while the first is in flight, even with free slots.
    expect(batches).toHaveLength(1);
    batches[0]?.finish(["first"]);
    await expect(first).resolves.toBe("first");
    await turn();
    expect(batches.map((b) => b.items)).toEqual([["a"], ["a"]]);
    batches[1]?.finish(["second"]);
    await expect(Promise.all(later)).resolves.toEqual(["second", "second", "second"]);
  });

  it("keeps at most maxInFlight runs and maxBatch items per run; keys pile up meanwhile", async () => {
    const { batches, run } = controlledRun();
    const batcher = createKeyedBatcher({ keyOf: (s: string) => s, run, maxBatch: 3, maxInFlight: 2 });
    const items = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const results = items.map((item) => batcher.submit(item));
    await turn();
    expect(batches.map((b) => b.items)).toEqual([
      ["k0", "k1", "k2"],
      ["k3", "k4", "k5"],
    ]);
    expect(batcher.pending()).toBe(10);
    batches[0]?.finish();
    await turn();
    await turn();
    expect(batches.map((b) => b.items.length)).toEqual([3, 3, 3]);
    for (const batch of batches.slice(1)) batch.finish();
    await turn();
    await turn();
    batches[3]?.finish();
    await Promise.all(results);
    expect(batches.flatMap((b) => b.items).sort()).toEqual([...items].sort());
    expect(batcher.pending()).toBe(0);
  });

  it("passes a failing run's error to its waiters only", async () => {
    const { batches, run } = controlledRun();
    const batcher = createKeyedBatcher({ keyOf: (s: string) => s, run, maxBatch: 1, maxInFlight: 2 });
    const a = batcher.submit("a");
    const b = batcher.submit("b");
    await turn();
    batches[0]?.fail(new Error("bug"));
    batches[1]?.finish(["B"]);
    await expect(a).rejects.toThrow("bug");
    await expect(b).resolves.toBe("B");
    // The key is free again afterwards.
    const again = batcher.submit("a");
    await turn();
    batches[2]?.finish(["A"]);
    await expect(again).resolves.toBe("A");
  });
});
