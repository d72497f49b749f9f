/**
 * Fuzz: the SpiffeID validation webhook's decision. Whatever a namespace submits, nothing it is allowed
 * names an ID outside the trust domain, under SPIRE's reserved `/spire`, reserved for the registrar's
 * nodes, or another namespace's `/ns/<ns>/...`; nothing allowed carries downstream or admin rights (none
 * are configured) or a selector with a control character.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultTenantRules } from "../../../lib/admission/spiffeid-tenancy.js";
import {
  decideSpiffeIdAdmission,
  type SpiffeIdValidationContext,
} from "../../../lib/admission/spiffeid-validation.js";
import { parseSpiffeId } from "../../../lib/spiffe/id.js";
import { fuzz, mixedString } from "./support.js";

const TD = "example.org";
const REGISTRAR_NAMESPACE = "spire";
const context: SpiffeIdValidationContext = {
  trustDomain: TD,
  registrarNamespace: REGISTRAR_NAMESPACE,
  tenants: defaultTenantRules("c1"),
};

const NAMESPACES = ["web", "spire", "kube-system", "default"];
const SEGMENTS = [
  "ns",
  "web",
  "kube-system",
  "sa",
  "spire",
  "agent",
  "server",
  "k8s-workload-registrar",
  "spire-k8s-registrar",
  "c1",
  "node",
  "n1",
  "..",
  ".",
  "",
  "a b",
  "%2f",
];
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is checked.
const CONTROL = /[\u0000-\u001f\u007f]/;

const namespace = fc.oneof(fc.constantFrom(...NAMESPACES), fc.string({ maxLength: 6 }));
const validSegment = fc.constantFrom(...SEGMENTS.slice(0, 12));
const path = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: validSegment },
    { weight: 1, arbitrary: fc.constantFrom(...SEGMENTS.slice(12)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 4 }) },
  ),
  { maxLength: 6 },
);
const trustDomain = fc.oneof(
  { weight: 6, arbitrary: fc.constant(TD) },
  { weight: 1, arbitrary: fc.constantFrom("other.org", `${TD}.evil`, "EXAMPLE.org", "") },
);
const spiffeId = fc
  .tuple(trustDomain, path)
  .map(([domain, segments]) => `spiffe://${domain}${segments.map((segment) => `/${segment}`).join("")}`);
const junk = fc.jsonValue({ maxDepth: 1 });
const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom("web", "app", "v1") },
  { weight: 1, arbitrary: mixedString(["web", "k8s:ns:kube-system", "a", ":", "-"], 6) },
);

/** A selector that mostly names `ns` (the rule Go had), with fields that may be odd. */
function selectorFor(ns: string) {
  return fc
    .record(
      {
        namespace: fc.oneof({ weight: 6, arbitrary: fc.constant(ns) }, { weight: 1, arbitrary: namespace }),
        podName: fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: junk }),
        serviceAccount: text,
        podLabel: fc.oneof(
          { weight: 4, arbitrary: fc.dictionary(text, text, { maxKeys: 2 }) },
          { weight: 1, arbitrary: junk },
        ),
        arbitrary: fc.oneof(
          { weight: 4, arbitrary: fc.array(text, { maxLength: 2 }) },
          { weight: 1, arbitrary: junk },
        ),
        cluster: text,
        agent_node_uid: text,
      },
      { requiredKeys: ["namespace"] },
    )
    .map((selector) =>
      // Node selectors are the registrar's own; most SpiffeIDs have none.
      ns === REGISTRAR_NAMESPACE ? selector : { ...selector, cluster: undefined, agent_node_uid: undefined },
    );
}

const resource = namespace.chain((ns) =>
  fc.record({
    namespace: fc.constant(ns),
    spec: fc.record(
      {
        parentId: fc.oneof(
          { weight: 4, arbitrary: fc.constant(`spiffe://${TD}/k8s-workload-registrar/c1/node/n1`) },
          spiffeId,
          junk,
        ),
        spiffeId: fc.oneof({ weight: 6, arbitrary: spiffeId }, { weight: 1, arbitrary: junk }),
        selector: fc.oneof({ weight: 6, arbitrary: selectorFor(ns) }, { weight: 1, arbitrary: junk }),
        dnsNames: fc.oneof(
          { weight: 4, arbitrary: fc.array(text, { maxLength: 2 }) },
          { weight: 1, arbitrary: junk },
        ),
        downstream: fc.oneof(
          { weight: 4, arbitrary: fc.constant(false) },
          fc.boolean(),
          fc.jsonValue({ maxDepth: 0 }),
        ),
        admin: fc.oneof(
          { weight: 4, arbitrary: fc.constant(false) },
          fc.boolean(),
          fc.jsonValue({ maxDepth: 0 }),
        ),
      },
      { requiredKeys: ["parentId", "spiffeId", "selector"] },
    ),
  }),
);

/** Every string in a selector value. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([key, item]) => [key, ...strings(item)]);
  return [];
}

function reservedForRegistrar(segments: readonly string[]): boolean {
  return (
    segments.length >= 3 &&
    (segments[0] === "k8s-workload-registrar" || segments[0] === "spire-k8s-registrar") &&
    segments[1] === "c1" &&
    segments[2] === "node"
  );
}

describe("fuzz: SpiffeID validation", () => {
  it("never allows an ID outside the trust domain, the reserved space or the namespace, or extra rights", async () => {
    let allowed = 0;
    await fuzz(
      fc.property(resource, fc.constantFrom("CREATE", "UPDATE"), ({ namespace: ns, spec }, operation) => {
        const decision = decideSpiffeIdAdmission(
          {
            uid: "u",
            kind: { group: "spiffeid.spiffe.io", version: "v1beta1", kind: "SpiffeID" },
            operation,
            namespace: ns,
            object: { metadata: { name: "x", namespace: ns }, spec },
          },
          context,
        );
        if (decision.action === "deny") return;
        allowed++;
        const id = parseSpiffeId(String(spec.spiffeId));
        const parent = parseSpiffeId(String(spec.parentId));
        expect(id.ok && parent.ok).toBe(true);
        if (!id.ok || !parent.ok) return;
        expect(id.value.trustDomain).toBe(TD);
        expect(parent.value.trustDomain).toBe(TD);
        const segments = id.value.segments;
        expect(segments.length).toBeGreaterThan(0);
        expect(segments[0]).not.toBe("spire");
        if (ns !== REGISTRAR_NAMESPACE) expect(reservedForRegistrar(segments)).toBe(false);
        if (segments[0] === "ns" && segments.length > 1) expect(segments[1]).toBe(ns);
        expect(spec.downstream === true || spec.admin === true).toBe(false);
        for (const value of [...strings(spec.selector), ...strings(spec.dnsNames)])
          expect(CONTROL.test(value)).toBe(false);
      }),
      1500,
    );
    // The generator must reach the allowed side, or the property says nothing.
    expect(allowed).toBeGreaterThan(10);
  });
});
