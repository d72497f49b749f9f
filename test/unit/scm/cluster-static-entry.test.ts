/** ClusterStaticEntry specs rendered as SCM v0.6.6's renderStaticEntry renders them (golden/static-entries.json). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderStaticEntry } from "../../../lib/scm/cluster-static-entry.js";

interface GoldenCase {
  readonly spec: unknown;
  readonly decodeError?: string;
  readonly renderError?: string;
  readonly entry?: Record<string, unknown>;
}

const CASES = JSON.parse(
  readFileSync(new URL("./golden/static-entries.json", import.meta.url), "utf8"),
) as GoldenCase[];

describe("ClusterStaticEntry rendering matches SCM's (golden/static-entries.json)", () => {
  it.each(CASES.map((test) => [JSON.stringify(test.spec).slice(0, 140), test] as const))(
    "%s",
    (_name, test) => {
      const { spec, ...expected } = test;
      const rendered = renderStaticEntry(spec);
      if (!rendered.ok) {
        const key = rendered.error.kind === "decode" ? "decodeError" : "renderError";
        expect({ [key]: rendered.error.message }).toEqual(expected);
        return;
      }
      const { selectors, ...entry } = rendered.value.spec;
      expect({
        entry: { ...entry, selectors: selectors.map(({ type, value }) => ({ Type: type, Value: value })) },
      }).toEqual(expected);
    },
  );

  it("keeps TTLs as exact durations too", () => {
    const rendered = renderStaticEntry({
      spiffeID: "spiffe://a/b",
      parentID: "spiffe://a/c",
      selectors: ["x:y"],
      x509SVIDTTL: "90m",
      jwtSVIDTTL: "1500ms",
    });
    expect(rendered.ok && [rendered.value.x509SvidTtl, rendered.value.jwtSvidTtl]).toEqual([
      5_400_000_000_000n,
      1_500_000_000n,
    ]);
  });
});
