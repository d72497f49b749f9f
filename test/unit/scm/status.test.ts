import { describe, expect, it } from "vitest";
import {
  staticStatusAfterApply,
  statsAfterApply,
  statusChanged,
  ZERO_STATS,
} from "../../../lib/scm/status.js";

const OUTCOME = { entryFailures: new Map([["a", 2]]), created: new Set(["s"]) };

describe("statuses after the writes", () => {
  it("adds each CR's create and update failures to entryFailures", () => {
    expect(statsAfterApply("a", { ...ZERO_STATS, entriesToSet: 3 }, OUTCOME)).toEqual({
      ...ZERO_STATS,
      entriesToSet: 3,
      entryFailures: 2,
    });
    expect(statsAfterApply("b", ZERO_STATS, OUTCOME)).toEqual(ZERO_STATS);
  });

  it("a static entry is set only when this pass created its entry", () => {
    expect(staticStatusAfterApply("s", { rendered: true, masked: false, set: false }, OUTCOME).set).toBe(
      true,
    );
    expect(staticStatusAfterApply("t", { rendered: true, masked: false, set: true }, OUTCOME).set).toBe(
      false,
    );
  });

  it("a status is written only when it differs; absent stored fields read as zero", () => {
    expect(statusChanged({ podsSelected: 0 }, ZERO_STATS)).toBe(false);
    expect(statusChanged(undefined, ZERO_STATS)).toBe(false);
    expect(statusChanged({ podsSelected: 1 }, ZERO_STATS)).toBe(true);
    expect(statusChanged({ rendered: true }, { rendered: true, masked: false, set: false })).toBe(false);
    expect(statusChanged({}, { rendered: true, masked: false, set: false })).toBe(true);
  });
});
