/**
 * Property: whatever a config text becomes (a broken edit, a truncated file, stray characters), the
 * parser and the config loader never throw; they give values or a one-line `line N: ...` error
 * whose line exists. Mutations of valid configs (the project's and generated ones, in HCL and JSON
 * form) are drawn from a seeded generator, so a failure is reproducible from its case number.
 */
import { describe, expect, it } from "vitest";
import { parseHcl } from "../../../lib/config/hcl-parser.js";
import { parseConfig } from "../../../lib/config/parse-config.js";
import { readSource } from "../../../lib/config/read-source.js";
import { hclCorpus } from "./support/hcl-corpus.js";
import { generateConfig, Random } from "./support/hcl-generate.js";

const PALETTE = [
  '"',
  "{",
  "}",
  "[",
  "]",
  "=",
  ",",
  ":",
  "\\",
  "\n",
  "\r",
  "#",
  "/",
  "*",
  "<",
  "-",
  "$",
  "0",
  "x",
  " ",
  "\u0000",
  "é",
  "😀",
  "<<EOT\n",
  "/*",
  "${",
  '"\\u',
  "true",
  "null",
  "1e999",
];

/** One random edit of `text`. */
function mutate(random: Random, text: string): string {
  const at = random.int(text.length + 1);
  const span = random.int(12) + 1;
  switch (random.int(6)) {
    case 0:
      return text.slice(0, at) + text.slice(at + span);
    case 1:
      return text.slice(0, at) + random.pick(PALETTE) + text.slice(at);
    case 2:
      return text.slice(0, at) + text.slice(at, at + span).repeat(2) + text.slice(at + span);
    case 3:
      return text.slice(0, at);
    case 4: {
      const other = random.int(text.length + 1);
      return text.slice(0, at) + text.slice(other, other + span) + text.slice(at);
    }
    default:
      return text.slice(0, at) + random.pick(PALETTE).repeat(random.int(100) + 1) + text.slice(at);
  }
}

function seeds(random: Random): string[] {
  const hcl = [
    ...hclCorpus().map(([, text]) => text),
    ...Array.from({ length: 60 }, () => generateConfig(random)),
  ];
  const json = hcl.slice(0, 40).flatMap((text) => {
    const parsed = parseHcl(text);
    return parsed.ok ? [JSON.stringify(parsed.value.values, null, 2)] : [];
  });
  return [...hcl, ...json];
}

const ONE_LINE_ERROR = /^line ([1-9][0-9]*): [^\n\r]+$/;
const random = new Random(7);
const valid = seeds(random);
const cases = Array.from({ length: 2500 }, (_, index): [number, string] => {
  let text = random.pick(valid);
  for (let edits = random.int(3) + 1; edits > 0; edits -= 1) text = mutate(random, text);
  return [index, text];
});

describe("mutated configs", () => {
  it("never make the parser throw; an error is one line naming an existing line", () => {
    const limit = Error.stackTraceLimit;
    for (const [index, text] of cases) {
      const result = readSource(text);
      if (result.ok) continue;
      const what = `case ${index}: ${JSON.stringify(result.error)}`;
      // JSON.parse does not always say where (e.g. "Unexpected end of JSON input").
      if (/^(invalid JSON|the JSON form)[^\n\r]*$/.test(result.error)) continue;
      const line = ONE_LINE_ERROR.exec(result.error)?.[1];
      expect(line, what).toBeDefined();
      expect(Number(line), what).toBeLessThanOrEqual(text.split("\n").length);
    }
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it("never make the config loader throw; every message is one line", () => {
    for (const [index, text] of cases) {
      const result = parseConfig(text, "registrar.conf");
      const messages = result.ok ? result.value.warnings : result.error;
      for (const message of messages)
        expect(message, `case ${index}: ${JSON.stringify(message)}`).not.toMatch(/[\n\r]/);
    }
  });

  it("include both kinds of outcome", () => {
    const outcomes = cases.map(([, text]) => parseHcl(text).ok);
    expect(outcomes.filter(Boolean).length).toBeGreaterThan(100);
    expect(outcomes.filter((ok) => !ok).length).toBeGreaterThan(1000);
  });
});
