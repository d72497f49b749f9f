/**
 * The functions a template can name: Go text/template's builtins, and nothing else (SCM registers no
 * function map). The parser rejects any other identifier, as Go's does.
 */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set([
  "and",
  "call",
  "html",
  "index",
  "slice",
  "js",
  "len",
  "not",
  "or",
  "print",
  "printf",
  "println",
  "urlquery",
  "eq",
  "ge",
  "gt",
  "le",
  "lt",
  "ne",
]);
