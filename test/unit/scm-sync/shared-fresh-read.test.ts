import { describe, expect, it } from "vitest";
import { sharedFreshRead } from "../../../lib/scm-sync/cluster.js";

describe("sharedFreshRead", () => {
  it("shares one read among callers waiting for it, and starts a new one for callers arriving while it runs", async () => {
    const releases: (() => void)[] = [];
    let started = 0;
    const read = sharedFreshRead(
      () =>
        new Promise<number>((resolve) => {
          const n = ++started;
          releases.push(() => resolve(n));
        }),
    );
    const a = read();
    const b = read();
    await Promise.resolve();
    await Promise.resolve();
    expect(started).toBe(1);
    const c = read(); // the first read runs: c waits for a second one
    const d = read();
    releases[0]?.();
    expect(await a).toBe(1);
    expect(await b).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started).toBe(2);
    releases[1]?.();
    expect(await c).toBe(2);
    expect(await d).toBe(2);
  });

  it("answers a failed read's callers with its error, and the next callers with a new read", async () => {
    let calls = 0;
    const read = sharedFreshRead(async () => {
      calls++;
      if (calls === 1) throw new Error("list failed");
      return calls;
    });
    await expect(read()).rejects.toThrow("list failed");
    expect(await read()).toBe(2);
  });
});
