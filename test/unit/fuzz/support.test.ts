import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fuzz } from "./support.js";

describe("the fuzz runner", () => {
  it("names the seed and the counterexample when a property fails", async () => {
    const failing = fuzz(
      fc.property(fc.nat(), (n) => n < 5),
      100,
    );
    await expect(failing).rejects.toThrow(/FUZZ_SEED=-?\d+[\s\S]*seed: -?\d+[\s\S]*Counterexample: \[5\]/);
  });
});
