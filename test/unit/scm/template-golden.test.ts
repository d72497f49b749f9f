/**
 * The template engine against Go: every case in golden/templates.json was parsed and executed by Go 1.26's
 * text/template with SCM v0.6.6's template data (`*spireentry.templateData` over k8s.io/api v0.36.1 types)
 * for the pod and node of golden/objects.json (see scripts/scm-template-oracle_test.go). Our parse errors,
 * execution errors and outputs must be Go's, byte for byte, except for the documented differences.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { executeTemplate, parseTemplate, templateData } from "../../../lib/scm/template/index.js";

interface GoldenCase {
  readonly name: string;
  readonly text: string;
  readonly parent?: boolean;
  readonly output?: string;
  readonly parseError?: string;
  readonly execError?: string;
}

const CASES = JSON.parse(
  readFileSync(new URL("./golden/templates.json", import.meta.url), "utf8"),
) as GoldenCase[];
const OBJECTS = JSON.parse(readFileSync(new URL("./golden/objects.json", import.meta.url), "utf8")) as {
  pod: { metadata?: unknown; spec?: unknown };
  node: { metadata?: unknown; spec?: unknown };
};

/**
 * Where this engine deliberately differs from Go: printing a Kubernetes struct through its protobuf
 * `String()`, the internals of a `resource.Quantity` or a pointer's memory address, and calling methods
 * other than the accessors it implements, are refused with an error instead of an output that no SPIFFE ID,
 * DNS name or selector would use (and that Go itself cannot make deterministic for addresses, so those
 * cases are not in the golden file).
 */
const DIFFERENCES: Readonly<Record<string, string>> = {
  "{{ index .PodSpec.Containers }}": "printing the fields of a resource.Quantity is not supported",
  '{{ printf "%v %d %s" .PodSpec.Priority .PodMeta.Generation .PodMeta.Finalizers }}':
    "printing a non-nil *int32 (Go prints its memory address) is not supported",
  '{{ printf "%d" .PodSpec.Containers }}': "printing the fields of a resource.Quantity is not supported",
  "{{ .PodMeta.OpenAPIModelName }}":
    "method OpenAPIModelName of v1.ObjectMeta is not supported by this template engine",
};

function run(golden: GoldenCase): { output?: string; parseError?: string; execError?: string } {
  const template = parseTemplate(golden.name, golden.text);
  if (!template.ok) return { parseError: template.error.message };
  const data = templateData({
    trustDomain: "example.org",
    clusterName: "demo",
    clusterDomain: "cluster.local",
    node: OBJECTS.node,
    pod: golden.parent === true ? undefined : OBJECTS.pod,
  });
  const result = executeTemplate(template.value, data);
  return result.ok ? { output: result.value } : { execError: result.error.message };
}

describe("templates render as Go renders them (golden/templates.json)", () => {
  it.each(
    CASES.filter((golden) => DIFFERENCES[golden.text] === undefined).map(
      (golden) => [golden.text, golden] as const,
    ),
  )("%s", (_text, golden) => {
    const { name: _name, text: _t, parent: _p, ...expected } = golden;
    expect(run(golden)).toEqual(expected);
  });
});

describe("documented differences from Go are refused with a clear error", () => {
  it.each(Object.entries(DIFFERENCES))("%s", (text, message) => {
    const golden = CASES.find((candidate) => candidate.text === text) ?? { name: "spiffeIDTemplate", text };
    expect(run(golden).execError).toContain(message);
  });
});
