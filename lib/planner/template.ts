/**
 * The small subset of Go `text/template` the registrar's identity and DNS-name templates use (reference
 * §4.6): literal text plus the actions `{{.Pod.<Field>}}` and `{{.Context.<key>}}`, with whitespace allowed
 * inside the braces. Anything else is an error at parse time, so a template is checked once, before any
 * pod is rendered. Unlike Go, a context key that does not exist is an error instead of `<no value>`.
 */
import { fail, ok, type Result } from "../spiffe/result.js";

/** The pod fields a template can read, named as in the Go registrar's template data. */
export interface TemplatePod {
  readonly Name: string;
  readonly UID: string;
  readonly Namespace: string;
  readonly ServiceAccount: string;
  readonly Hostname: string;
  readonly NodeName: string;
}

type Part =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "pod"; readonly field: keyof TemplatePod }
  | { readonly kind: "context"; readonly value: string };

/** A parsed template, ready to render pods; the context values are already substituted. */
export interface Template {
  readonly source: string;
  readonly parts: readonly Part[];
}

const POD_FIELDS: ReadonlySet<string> = new Set([
  "Name",
  "UID",
  "Namespace",
  "ServiceAccount",
  "Hostname",
  "NodeName",
]);
const POD_ACTION = /^\.Pod\.([A-Za-z_][A-Za-z0-9_]*)$/;
const CONTEXT_ACTION = /^\.Context\.([A-Za-z_][A-Za-z0-9_]*)$/;
const FIELD_CHAIN = /^\.([A-Za-z_][A-Za-z0-9_]*)/;

/** Parses `source`, resolving `{{.Context.<key>}}` against `context`; the error says what is unsupported. */
export function parseTemplate(source: string, context: Readonly<Record<string, string>>): Result<Template> {
  const parts: Part[] = [];
  let rest = source;
  while (rest !== "") {
    const open = rest.indexOf("{{");
    if (open === -1) {
      parts.push({ kind: "text", text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: "text", text: rest.slice(0, open) });
    const close = rest.indexOf("}}", open + 2);
    if (close === -1) return fail(`unclosed action in template ${JSON.stringify(source)}`);
    const action = parseAction(rest.slice(open + 2, close).trim(), context);
    if (!action.ok) return fail(`${action.error} in template ${JSON.stringify(source)}`);
    parts.push(action.value);
    rest = rest.slice(close + 2);
  }
  return ok({ source, parts });
}

function parseAction(action: string, context: Readonly<Record<string, string>>): Result<Part> {
  const pod = POD_ACTION.exec(action);
  if (pod !== null) {
    const field = pod[1] ?? "";
    if (!POD_FIELDS.has(field)) return fail(`can't evaluate field ${field} of .Pod`);
    return ok({ kind: "pod", field: field as keyof TemplatePod });
  }
  const key = CONTEXT_ACTION.exec(action)?.[1];
  if (key !== undefined) {
    if (!Object.hasOwn(context, key)) return fail(`context has no key ${JSON.stringify(key)}`);
    return ok({ kind: "context", value: context[key] ?? "" });
  }
  const head = FIELD_CHAIN.exec(action)?.[1];
  if (head !== undefined) return fail(`can't evaluate field ${head}`);
  return fail(`unsupported action {{${action}}}`);
}

/** Renders a parsed template for one pod. */
export function renderTemplate(template: Template, pod: TemplatePod): string {
  let out = "";
  for (const part of template.parts) {
    if (part.kind === "text") out += part.text;
    else if (part.kind === "pod") out += pod[part.field];
    else out += part.value;
  }
  return out;
}
