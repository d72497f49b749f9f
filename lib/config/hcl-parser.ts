/**
 * Lazy access to hcl2-parser. The package is a 3.8 MB GopherJS build that takes about 0.3 s and
 * 80 MB to load and sets `Error.stackTraceLimit = Infinity` for the whole process, so it is
 * required only when a config really is HCL (never for the JSON form), and the limit is restored.
 */
import { createRequire } from "node:module";

/** The part of hcl2-parser used here. It returns a Go-style `[result, error]` tuple. */
export interface HclParser {
  parseToObject(source: string): [Record<string, unknown> | null, object | null];
}

/** Supplies the parser on first use; injectable so tests can prove when it is (not) loaded. */
export type HclParserLoader = () => HclParser;

/** Loads hcl2-parser through `require` (it is CommonJS), keeping `Error.stackTraceLimit` intact. */
export const requireHclParser: HclParserLoader = () => {
  const require = createRequire(import.meta.url);
  const savedLimit = Error.stackTraceLimit;
  try {
    return require("hcl2-parser") as HclParser;
  } finally {
    Error.stackTraceLimit = savedLimit;
  }
};
