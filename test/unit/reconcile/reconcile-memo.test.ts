import { describe, expect, it } from "vitest";
import { createReconcileMemo } from "../../../lib/reconcile/reconcile-memo.js";

describe("createReconcileMemo", () => {
  it("knows a key only with the same fingerprint and only within its lifetime", () => {
    let now = 1_000;
    const memo = createReconcileMemo({ ttlMs: 100, maxKeys: 10, now: () => now });
    expect(memo.isCurrent("Pod/ns/p", "fp")).toBe(false);
    memo.remember("Pod/ns/p", "fp");
    expect(memo.isCurrent("Pod/ns/p", "fp")).toBe(true);
    expect(memo.isCurrent("Pod/ns/p", "other")).toBe(false);
    now += 99;
    expect(memo.isCurrent("Pod/ns/p", "fp")).toBe(true);
    now += 1;
    expect(memo.isCurrent("Pod/ns/p", "fp")).toBe(false);
  });

  it("forgets on request and drops the least recently written key beyond maxKeys", () => {
    const memo = createReconcileMemo({ ttlMs: 1_000, maxKeys: 2, now: () => 0 });
    memo.remember("a", "1");
    memo.remember("b", "1");
    memo.remember("a", "2");
    memo.remember("c", "1");
    expect(memo.isCurrent("b", "1")).toBe(false);
    expect(memo.isCurrent("a", "2")).toBe(true);
    expect(memo.isCurrent("c", "1")).toBe(true);
    memo.forget("a");
    expect(memo.isCurrent("a", "2")).toBe(false);
  });
});
