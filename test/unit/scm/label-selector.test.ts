import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type LabelSelector, parseLabelSelector } from "../../../lib/scm/label-selector.js";

interface GoldenSelector {
  readonly selector: LabelSelector | null;
  readonly labels: Record<string, string>[];
  readonly matches?: boolean[];
  readonly error?: string;
}

/** Converted by apimachinery v0.36.1 as SCM converts them, and matched against each label set (scripts/scm-oracle). */
const GOLDEN = JSON.parse(
  readFileSync(new URL("./golden/label-selectors.json", import.meta.url), "utf8"),
) as GoldenSelector[];

describe("label selectors convert and match as apimachinery's (golden/label-selectors.json)", () => {
  it.each(GOLDEN.map((golden) => [JSON.stringify(golden.selector), golden] as const))(
    "%s",
    (_name, golden) => {
      const selector = parseLabelSelector(golden.selector);
      if (golden.error !== undefined) {
        expect(selector).toEqual({ ok: false, error: golden.error });
        return;
      }
      expect(selector.ok).toBe(true);
      if (selector.ok)
        expect(golden.labels.map((labels) => selector.value.matches(labels))).toEqual(golden.matches);
    },
  );
});

describe("label selector properties", () => {
  const key = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
  const value = fc.stringMatching(/^[a-z0-9]{0,4}$/);
  const labels = fc.dictionary(key, value, { maxKeys: 4 });

  it("matchLabels selects exactly the label sets that contain every pair", () => {
    fc.assert(
      fc.property(fc.dictionary(key, value, { maxKeys: 3 }), labels, (matchLabels, set) => {
        const selector = parseLabelSelector({ matchLabels });
        expect(selector.ok).toBe(true);
        const expected = Object.entries(matchLabels).every(([k, v]) => Object.hasOwn(set, k) && set[k] === v);
        if (selector.ok) expect(selector.value.matches(set)).toBe(expected);
      }),
    );
  });

  it("In and NotIn are complements, as are Exists and DoesNotExist", () => {
    fc.assert(
      fc.property(key, fc.array(value, { minLength: 1, maxLength: 3 }), labels, (k, values, set) => {
        const matches = (operator: string, list?: string[]): boolean => {
          const parsed = parseLabelSelector({
            matchExpressions: [{ key: k, operator, ...(list ? { values: list } : {}) }],
          });
          if (!parsed.ok) throw new Error(parsed.error);
          return parsed.value.matches(set);
        };
        expect(matches("In", values)).toBe(!matches("NotIn", values));
        expect(matches("Exists")).toBe(!matches("DoesNotExist"));
      }),
    );
  });

  it("an absent or empty selector selects everything", () => {
    fc.assert(
      fc.property(labels, (set) => {
        for (const selector of [undefined, null, {}, { matchLabels: {}, matchExpressions: [] }]) {
          const parsed = parseLabelSelector(selector);
          expect(parsed.ok && parsed.value.matches(set)).toBe(true);
        }
      }),
    );
  });
});
