import { describe, expect, it } from "vitest";
import { validatePlannerConfig } from "../../../lib/planner/validate-config.js";
import { reconcileConfig } from "./fixtures.js";

describe("validatePlannerConfig", () => {
  it("accepts the defaults", () => {
    expect(validatePlannerConfig(reconcileConfig())).toEqual({ ok: true, value: undefined });
  });

  it.each([
    [{ trustDomain: "TRUSTDOMAIN" }, "trust_domain: malformed trust domain"],
    [{ cluster: "my cluster" }, "cluster: not usable in a SPIFFE ID"],
    [{ cluster: "" }, "cluster: not usable in a SPIFFE ID"],
    [{ controllerName: "a/b" }, "controller_name: not usable in a SPIFFE ID"],
    [{ identityTemplate: "ns/{{.Pod.Namespace}}/" }, "identity_template: validating identity template"],
    [{ identityTemplate: "r/{{.Context.region}}" }, "identity_template: parsing identity template"],
    [
      { mode: "crd" as const, dnsNameTemplates: ["$%^&*"] },
      "dns_name_templates: validating the dns name template",
    ],
  ])("reports %j", (overrides, message) => {
    const result = validatePlannerConfig(reconcileConfig(overrides));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toEqual([expect.stringContaining(message)]);
  });

  it("ignores controller_name outside reconcile mode", () => {
    expect(validatePlannerConfig(reconcileConfig({ mode: "webhook", controllerName: "" })).ok).toBe(true);
  });
});
