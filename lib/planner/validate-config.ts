/**
 * The checks the planner needs of its configuration, for `lib/config` to run at start-up: derivation
 * assumes they passed and treats a violation as a bug.
 */
import { segmentError } from "../spiffe/path.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import { trustDomainError } from "../spiffe/trust-domain.js";
import { validateDnsNameTemplate } from "./dns-name-templates.js";
import type { PlannerConfig } from "./planner-config.js";
import { validateIdentityTemplate } from "./pod-identity.js";

/** Every problem found, each prefixed with the config key it concerns. */
export function validatePlannerConfig(config: PlannerConfig): Result<void, string[]> {
  const errors: string[] = [];
  const tdError = trustDomainError(config.trustDomain);
  if (tdError !== undefined) errors.push(`trust_domain: malformed trust domain: ${tdError}`);
  const clusterError = segmentError(config.cluster);
  if (clusterError !== undefined) errors.push(`cluster: not usable in a SPIFFE ID: ${clusterError}`);
  if (config.mode === "reconcile") {
    const nameError = segmentError(config.controllerName);
    if (nameError !== undefined) errors.push(`controller_name: not usable in a SPIFFE ID: ${nameError}`);
  }
  if (config.podLabel === "" && config.podAnnotation === "" && config.identityTemplate !== "") {
    const template = validateIdentityTemplate(config.identityTemplate, config.context);
    if (!template.ok) errors.push(`identity_template: ${template.error}`);
  }
  if (config.mode === "crd") {
    for (const source of config.dnsNameTemplates) {
      const template = validateDnsNameTemplate(source, config.context);
      if (!template.ok) errors.push(`dns_name_templates: ${template.error}`);
    }
  }
  return errors.length === 0 ? ok(undefined) : fail(errors);
}
