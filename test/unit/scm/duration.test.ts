import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeDuration,
  durationToSeconds,
  parseGoDuration,
  secondsToDuration,
} from "../../../lib/scm/duration.js";

interface GoldenDuration {
  readonly value: unknown;
  readonly nanoseconds?: string;
  readonly seconds?: number;
  readonly error?: string;
}

/** Each value decoded by Go as a `metav1.Duration` and converted to seconds as SCM does (scripts/scm-oracle). */
const GOLDEN = JSON.parse(
  readFileSync(new URL("./golden/durations.json", import.meta.url), "utf8"),
) as GoldenDuration[];

describe("durations decode as metav1.Duration does (golden/durations.json)", () => {
  it.each(GOLDEN.map((golden) => [JSON.stringify(golden.value), golden] as const))("%s", (_name, golden) => {
    const decoded = decodeDuration(golden.value);
    if (golden.error !== undefined) {
      expect(decoded).toEqual({ ok: false, error: golden.error });
      return;
    }
    expect(decoded).toEqual({ ok: true, value: BigInt(golden.nanoseconds ?? "") });
    if (decoded.ok) expect(durationToSeconds(decoded.value)).toBe(golden.seconds);
  });

  it("an absent field is zero", () => {
    expect(decodeDuration(undefined)).toEqual({ ok: true, value: 0n });
  });
});

describe("parseGoDuration properties", () => {
  const UNITS = [
    ["h", 3_600_000_000_000n],
    ["m", 60_000_000_000n],
    ["s", 1_000_000_000n],
    ["ms", 1_000_000n],
    ["us", 1_000n],
    ["ns", 1n],
  ] as const;

  it("sums whole-number terms exactly, in any order and sign", () => {
    const term = fc.tuple(fc.integer({ min: 0, max: 5 }), fc.bigInt({ min: 0n, max: 1_000_000n }));
    fc.assert(
      fc.property(fc.array(term, { minLength: 1, maxLength: 6 }), fc.boolean(), (terms, negative) => {
        const text = `${negative ? "-" : ""}${terms.map(([unit, count]) => `${count}${UNITS[unit]?.[0]}`).join("")}`;
        const expected = terms.reduce((sum, [unit, count]) => sum + count * (UNITS[unit]?.[1] ?? 0n), 0n);
        expect(parseGoDuration(text)).toEqual({ ok: true, value: negative ? -expected : expected });
      }),
    );
  });

  it("never throws, and a parsed duration stays within int64", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        const parsed = parseGoDuration(text);
        if (parsed.ok) {
          expect(parsed.value <= (1n << 63n) - 1n && parsed.value >= -(1n << 63n)).toBe(true);
        } else {
          expect(parsed.error).toMatch(/^time: (invalid duration|missing unit in duration|unknown unit)/);
        }
      }),
    );
  });

  it("whole seconds survive the round trip to SPIRE's int32 seconds", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (seconds) => {
        expect(durationToSeconds(secondsToDuration(seconds))).toBe(seconds);
      }),
    );
  });
});
