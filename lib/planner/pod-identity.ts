/**
 * How a pod's SPIFFE ID is chosen (reference §2.4, §3.1, §4.6): from a label, from an annotation, or from an
 * identity template whose default is the service-account form `ns/<ns>/sa/<sa>`. Values containing `/` are
 * multi-segment paths in every mode; invalid values are errors, never rewritten (DESIGN §3).
 */
import { parseRelativePath, pathError } from "../spiffe/path.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { Pod } from "./k8s-objects.js";
import type { PlannerConfig } from "./planner-config.js";
import { parseTemplate, renderTemplate, type Template, type TemplatePod } from "./template.js";

export const DEFAULT_IDENTITY_TEMPLATE = "ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}";

/** The configured way of naming pods, parsed once per derivation. */
export type PodIdentityRule =
  | { readonly kind: "label"; readonly key: string }
  | { readonly kind: "annotation"; readonly key: string }
  | { readonly kind: "template"; readonly template: Template; readonly gateLabel: string };

type RuleConfig = Pick<
  PlannerConfig,
  "podLabel" | "podAnnotation" | "identityTemplate" | "identityTemplateLabel" | "context"
>;

/** Chooses the rule as Go does: `pod_label` first, then `pod_annotation`, then the identity template. */
export function parsePodIdentityRule(config: RuleConfig): Result<PodIdentityRule> {
  if (config.podLabel !== "") return ok({ kind: "label", key: config.podLabel });
  if (config.podAnnotation !== "") return ok({ kind: "annotation", key: config.podAnnotation });
  const source = config.identityTemplate === "" ? DEFAULT_IDENTITY_TEMPLATE : config.identityTemplate;
  const template = parseTemplate(source, config.context);
  if (!template.ok) return fail(`parsing identity template: ${template.error}`);
  return ok({ kind: "template", template: template.value, gateLabel: config.identityTemplateLabel });
}

/** The template view of a pod; absent fields render as "". */
export function templatePod(pod: Pod): TemplatePod {
  return {
    Name: pod.metadata?.name ?? "",
    UID: pod.metadata?.uid ?? "",
    Namespace: pod.metadata?.namespace ?? "",
    ServiceAccount: pod.spec?.serviceAccountName ?? "",
    Hostname: pod.spec?.hostname ?? "",
    NodeName: pod.spec?.nodeName ?? "",
  };
}

/**
 * The pod's SPIFFE ID. `value: undefined` means the pod is deliberately not registered (label or annotation
 * absent, or the template label is not `true`); an error means it should be but its value is invalid.
 */
export function derivePodSpiffeId(
  pod: Pod,
  rule: PodIdentityRule,
  trustDomain: string,
): Result<string | undefined> {
  switch (rule.kind) {
    case "label":
      return idFromValue(trustDomain, pod.metadata?.labels?.[rule.key], `label "${rule.key}"`);
    case "annotation":
      return idFromValue(trustDomain, pod.metadata?.annotations?.[rule.key], `annotation "${rule.key}"`);
    case "template": {
      if (rule.gateLabel !== "" && pod.metadata?.labels?.[rule.gateLabel]?.toLowerCase() !== "true") {
        return ok(undefined);
      }
      const rendered = renderTemplate(rule.template, templatePod(pod));
      return idFromValue(trustDomain, rendered, `identity template ${JSON.stringify(rule.template.source)}`);
    }
  }
}

function idFromValue(
  trustDomain: string,
  value: string | undefined,
  source: string,
): Result<string | undefined> {
  if (value === undefined) return ok(undefined);
  const error = value === "" ? "path is empty" : (pathError(`/${value}`) ?? reservedPathError(value));
  if (error !== undefined) {
    return fail(`${source} value ${JSON.stringify(value)} is not a valid SPIFFE ID path: ${error}`);
  }
  // The path is validated and the trust domain is config-validated; joining again would re-check both.
  return ok(`spiffe://${trustDomain}/${value}`);
}

/**
 * SPIRE refuses entries for IDs under `/spire` (its agents and servers live there): such a pod gets
 * no entry and a warning, instead of an entry every resync fails to create.
 */
function reservedPathError(relativePath: string): string | undefined {
  return relativePath === "spire" || relativePath.startsWith("spire/")
    ? "the /spire path is reserved for SPIRE's agents and servers"
    : undefined;
}

const PLACEHOLDER_POD: TemplatePod = {
  Name: "xx",
  UID: "123",
  Namespace: "xx",
  ServiceAccount: "xx",
  Hostname: "xx",
  NodeName: "xx",
};

/**
 * Start-up check of an identity template, as the Go registrar does it: parse, render a placeholder pod and
 * validate the result as an ID path. Error prefixes follow Go (`parsing identity template`,
 * `validating identity template`).
 */
export function validateIdentityTemplate(
  source: string,
  context: Readonly<Record<string, string>>,
): Result<void> {
  const template = parseTemplate(source, context);
  if (!template.ok) return fail(`parsing identity template: ${template.error}`);
  const rendered = renderTemplate(template.value, PLACEHOLDER_POD);
  const path = parseRelativePath(rendered);
  if (!path.ok) return fail(`validating identity template: ${path.error}`);
  const reserved = reservedPathError(rendered);
  if (reserved !== undefined) return fail(`validating identity template: ${reserved}`);
  return ok(undefined);
}

export { PLACEHOLDER_POD };
