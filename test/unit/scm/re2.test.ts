/** ignoreNamespaces regexes: compiled as Go's regexp package compiles them (golden/regexps.json, scripts/scm-oracle). */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileRe2 } from "../../../lib/scm/re2.js";

interface GoldenRegexp {
  readonly pattern: string;
  readonly subjects: string[];
  readonly error?: string;
  readonly matches?: boolean[];
}

const CASES = JSON.parse(
  readFileSync(new URL("./golden/regexps.json", import.meta.url), "utf8"),
) as GoldenRegexp[];

describe("RE2 patterns compile and match as Go's (golden/regexps.json)", () => {
  it.each(CASES.map((test) => [test.pattern, test] as const))("%j", (_pattern, test) => {
    const compiled = compileRe2(test.pattern);
    if (test.error !== undefined) {
      expect(compiled).toEqual({ ok: false, error: test.error });
      return;
    }
    if (!compiled.ok) throw new Error(compiled.error);
    expect(test.subjects.map((subject) => compiled.value.test(subject))).toEqual(test.matches);
  });
});
