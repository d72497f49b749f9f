/**
 * CRD mode's `dns_name_templates` (reference §4.6, §6.9): each template renders one DNS name, in order; the
 * first becomes the certificate's CN. As in Go, all spaces are removed from DNS templates before parsing.
 */
import { fail, ok, type Result } from "../spiffe/result.js";
import { dnsNameError } from "./dns-name.js";
import { PLACEHOLDER_POD } from "./pod-identity.js";
import { parseTemplate, renderTemplate, type Template, type TemplatePod } from "./template.js";

/** Parses every DNS-name template; the first failure is the error. */
export function parseDnsNameTemplates(
  sources: readonly string[],
  context: Readonly<Record<string, string>>,
): Result<Template[]> {
  const templates: Template[] = [];
  for (const source of sources) {
    const template = parseTemplate(source.replaceAll(" ", ""), context);
    if (!template.ok) return fail(`parsing dns name template: ${template.error}`);
    templates.push(template.value);
  }
  return ok(templates);
}

/** Renders the templates for one pod, in order (names are not validated here; see `dnsNameError`). */
export function renderDnsNames(templates: readonly Template[], pod: TemplatePod): string[] {
  return templates.map((template) => renderTemplate(template, pod));
}

/** Start-up check of one DNS-name template: parse, render a placeholder pod, validate as SPIRE would. */
export function validateDnsNameTemplate(
  source: string,
  context: Readonly<Record<string, string>>,
): Result<void> {
  const templates = parseDnsNameTemplates([source], context);
  if (!templates.ok) return templates;
  const [name = ""] = renderDnsNames(templates.value, PLACEHOLDER_POD);
  const error = dnsNameError(name);
  if (error !== undefined) return fail(`validating the dns name template: ${error}`);
  return ok(undefined);
}
