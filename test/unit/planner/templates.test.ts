import { describe, expect, it } from "vitest";
import {
  parseDnsNameTemplates,
  renderDnsNames,
  validateDnsNameTemplate,
} from "../../../lib/planner/dns-name-templates.js";
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import {
  derivePodSpiffeId,
  parsePodIdentityRule,
  templatePod,
  validateIdentityTemplate,
} from "../../../lib/planner/pod-identity.js";
import { reconcileConfig } from "./fixtures.js";

// Reference §6.8: pod default/test-pod, SA serviceAccount, hostname hostname, node test-node.
function testPod(labels?: Record<string, string>): Pod {
  return {
    metadata: {
      name: "test-pod",
      namespace: "default",
      uid: "uid-1",
      ...(labels === undefined ? {} : { labels }),
    },
    spec: { serviceAccountName: "serviceAccount", hostname: "hostname", nodeName: "test-node" },
  };
}
const CONTEXT = { Region: "EU-DE", ClusterName: "MYCLUSTER" };

function podId(overrides: Parameters<typeof reconcileConfig>[0], input: Pod = testPod()) {
  const config = reconcileConfig({ trustDomain: "example.org", ...overrides });
  const rule = parsePodIdentityRule(config);
  if (!rule.ok) return rule;
  return derivePodSpiffeId(input, rule.value, config.trustDomain);
}

describe("identity templates: start-up validation (reference §6.8 constructor errors)", () => {
  it.each([
    ["region/{{.Context.Region}}", {}, "parsing identity template: context has no key"],
    ["error/{{.Context.XXXX}}", CONTEXT, "parsing identity template: context has no key"],
    ["region/{{.Pod.XXXX}}", {}, "can't evaluate field XXXX"],
    [
      "spiffe://testdomain/ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}",
      {},
      "validating identity template",
    ],
    ["/testdomain/ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}", {}, "validating identity template"],
    ["//ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}", {}, "validating identity template"],
    [
      "ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}/",
      {},
      "validating identity template: path cannot have a trailing slash",
    ],
    ["ns/{{.Pod.Namespace", {}, "unclosed action"],
    ['ns/{{ index .Pod.Labels "a" }}', {}, "unsupported action"],
    ["{{.Does.Not.Exist}}", {}, "can't evaluate field Does"],
  ])("%s is rejected", (template, context, message) => {
    const result = validateIdentityTemplate(template, context);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });

  it("accepts a valid template", () => {
    expect(validateIdentityTemplate("ns/{{ .Pod.Namespace }}/pod/{{.Pod.Name}}", {})).toEqual({
      ok: true,
      value: undefined,
    });
  });
});

describe("identity templates: label gating (reference §6.8)", () => {
  it.each([
    [
      "TEMPLATE, label absent",
      { identityTemplate: "TEMPLATE", identityTemplateLabel: "IDENTITYTEMPLATE" },
      undefined,
      undefined,
    ],
    [
      "TEMPLATE, label false",
      { identityTemplate: "TEMPLATE", identityTemplateLabel: "IDENTITYTEMPLATE" },
      { IDENTITYTEMPLATE: "false" },
      undefined,
    ],
    ["default, label not configured", {}, undefined, "spiffe://example.org/ns/default/sa/serviceAccount"],
    [
      "default, label true",
      { identityTemplateLabel: "IDENTITYTEMPLATE" },
      { IDENTITYTEMPLATE: "true" },
      "spiffe://example.org/ns/default/sa/serviceAccount",
    ],
    [
      "default, label not configured, pod label false",
      { identityTemplateLabel: "" },
      { IDENTITYTEMPLATE: "false" },
      "spiffe://example.org/ns/default/sa/serviceAccount",
    ],
  ])("%s", (_name, overrides, labels, expected) => {
    expect(podId(overrides, testPod(labels))).toEqual({ ok: true, value: expected });
  });
});

describe("identity templates: formatting (reference §6.8)", () => {
  it.each([
    [{}, "ns/default/sa/serviceAccount"],
    [
      { identityTemplate: "ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}" },
      "ns/default/sa/serviceAccount",
    ],
    [
      { identityTemplate: "ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}/podName/{{.Pod.Name}}" },
      "ns/default/sa/serviceAccount/podName/test-pod",
    ],
    [
      {
        identityTemplate: "region/{{.Context.Region}}/cluster/{{.Context.ClusterName}}/podName/{{.Pod.Name}}",
        context: CONTEXT,
      },
      "region/EU-DE/cluster/MYCLUSTER/podName/test-pod",
    ],
    [
      {
        identityTemplate:
          "{{.Pod.Name}}/{{.Pod.Namespace}}/{{.Pod.ServiceAccount}}/{{.Pod.Hostname}}/{{.Pod.NodeName}}",
      },
      "test-pod/default/serviceAccount/hostname/test-node",
    ],
    [{ identityTemplate: "uid/{{\t.Pod.UID  }}" }, "uid/uid-1"],
  ])("%j renders %s", (overrides, path) => {
    expect(podId(overrides)).toEqual({ ok: true, value: `spiffe://example.org/${path}` });
  });

  it("a rendered value that is not a valid path is an error for that pod", () => {
    const result = podId(
      { identityTemplate: "ns/{{.Pod.Hostname}}" },
      { metadata: { name: "p", namespace: "n" } },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain("path cannot have a trailing slash");
  });

  it("a literal % is an invalid path character, never a format verb (reference §7)", () => {
    const result = podId({ identityTemplate: "a%b/{{.Pod.Name}}" });
    expect(result.ok).toBe(false);
  });
});

describe("DNS name templates (reference §6.9)", () => {
  function render(templates: string[], context: Record<string, string> = {}) {
    const parsed = parseDnsNameTemplates(templates, context);
    return parsed.ok
      ? { ok: true as const, value: renderDnsNames(parsed.value, templatePod(testPod())) }
      : parsed;
  }

  it.each([
    [[], {}, []],
    [["my.dns.name"], {}, ["my.dns.name"]],
    [["{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}.svc"], {}, ["serviceAccount.default.svc"]],
    [
      ["{{.Pod.ServiceAccount}}.{{.Context.Namespace}}.svc"],
      { Namespace: "my-network" },
      ["serviceAccount.my-network.svc"],
    ],
    [
      ["{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}.svc", "{{.Pod.Name}}.svc"],
      {},
      ["serviceAccount.default.svc", "test-pod.svc"],
    ],
    [
      ["{{ .Pod.ServiceAccount }}.{{ .Pod.Namespace }}.svc", "{{ .Pod.Name }}.svc"],
      {},
      ["serviceAccount.default.svc", "test-pod.svc"],
    ],
  ])("%j renders %j", (templates, context, names) => {
    expect(render(templates, context)).toEqual({ ok: true, value: names });
  });

  it("an unknown field is a parse error", () => {
    const result = render(["{{.Does.Not.Exist}}"]);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain("can't evaluate field");
  });

  it("a template rendering an invalid DNS name fails start-up validation", () => {
    const result = validateDnsNameTemplate("$%^&*", {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain("validating the dns name template");
  });

  it("a context reference without that key fails start-up validation", () => {
    expect(validateDnsNameTemplate("{{ .Context.namespace}}", {}).ok).toBe(false);
    expect(validateDnsNameTemplate("{{ .Context.namespace}}", { namespace: "ns1" }).ok).toBe(true);
  });
});
