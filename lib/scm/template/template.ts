/**
 * The template engine's public face: parse a Go text/template once (errors are Go's, with the line and
 * column of the offending token), execute it many times over template data.
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { executeTrees } from "./exec.js";
import { parseTemplateTrees, type TreeSet } from "./parser.js";
import type { AnyValue } from "./value.js";

/** A parsed template, named as SCM names it (`spiffeIDTemplate`, `dnsNameTemplate`, ...). */
export interface Template {
  readonly name: string;
  readonly source: string;
  readonly trees: TreeSet;
}

/**
 * A parse or execution failure. `message` is Go's text (`template: spiffeIDTemplate:1: function "x" not
 * defined`, `template: x:1:12: executing "x" at <.PodMeta.Foo>: can't evaluate field Foo in type
 * *v1.ObjectMeta`); `line` and `column` (0-based, in bytes, as Go counts) locate it when known.
 */
export interface TemplateError {
  readonly message: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
}

/** Parses `text` as the template `name`. */
export function parseTemplate(name: string, text: string): Result<Template, TemplateError> {
  const trees = parseTemplateTrees(name, text);
  if (!trees.ok) return fail(trees.error);
  return ok({ name, source: text, trees: trees.value });
}

/** Renders a template with `data` as dot (and `$`). */
export function executeTemplate(template: Template, data: AnyValue): Result<string, TemplateError> {
  return executeTrees(template.trees, template.name, data);
}
