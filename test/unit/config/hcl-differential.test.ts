/**
 * Our HCL parser against hcl2-parser, the parser the registrar used before (now a devDependency
 * for this test only): on every valid config of the project and on generated ones, both must give
 * equal values, so existing config files keep meaning what they meant.
 */
import { createRequire } from "node:module";
import { afterAll, describe, expect, it } from "vitest";
import { parseHcl } from "../../../lib/config/hcl-parser.js";
import { hclCorpus } from "./support/hcl-corpus.js";
import { generateConfig, Random } from "./support/hcl-generate.js";

interface Hcl2Parser {
  parseToObject(text: string): [Record<string, unknown> | null, object | null];
}

// hcl2-parser sets Error.stackTraceLimit = Infinity and global.require when loaded.
const savedLimit = Error.stackTraceLimit;
const hcl2 = createRequire(import.meta.url)("hcl2-parser") as Hcl2Parser;
Error.stackTraceLimit = savedLimit;
afterAll(() => {
  Reflect.deleteProperty(globalThis, "require");
});

function previousValues(text: string): Record<string, unknown> {
  const [values, error] = hcl2.parseToObject(text);
  if (values === null || error !== null) throw new Error(`hcl2-parser refused:\n${text}`);
  return values;
}

function ourValues(text: string): Readonly<Record<string, unknown>> {
  const result = parseHcl(text);
  if (!result.ok) throw new Error(`${result.error}\n${text}`);
  return result.value.values;
}

describe("our parser and hcl2-parser give equal values", () => {
  it.each(hclCorpus())("%s", (_name, text) => {
    expect(ourValues(text)).toEqual(previousValues(text));
  });

  const random = new Random(20240611);
  const generated = Array.from({ length: 400 }, (_, index): [number, string] => [
    index,
    generateConfig(random),
  ]);
  it.each(generated)("generated config %i", (_index, text) => {
    expect(ourValues(text)).toEqual(previousValues(text));
  });
});
