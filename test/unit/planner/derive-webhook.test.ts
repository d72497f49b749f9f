import { describe, expect, it } from "vitest";
import { deriveWebhookEntries } from "../../../lib/planner/derive-webhook.js";
import { pod, reconcileConfig, spec } from "./fixtures.js";

// Reference §6.3: td domain.test, cluster CLUSTER.
const config = (overrides = {}) =>
  reconcileConfig({ mode: "webhook", trustDomain: "domain.test", cluster: "CLUSTER", ...overrides });
const ALIAS = spec(
  "spiffe://domain.test/k8s-workload-registrar/CLUSTER/node",
  "spiffe://domain.test/spire/server",
  ["k8s_psat:cluster:CLUSTER"],
);
const PARENT = "spiffe://domain.test/k8s-workload-registrar/CLUSTER/node";
const subject = (labels?: Record<string, string>, annotations?: Record<string, string>) =>
  pod({
    namespace: "NAMESPACE",
    name: "PODNAME",
    serviceAccount: "SERVICEACCOUNT",
    node: "",
    ...(labels === undefined ? {} : { labels }),
    ...(annotations === undefined ? {} : { annotations }),
  });
const SELECTORS = ["k8s:ns:NAMESPACE", "k8s:pod-name:PODNAME"];

describe("webhook mode derivation (reference §2.3, §2.4, §6.3)", () => {
  it("always desires the cluster node alias (TestControllerInitialization)", () => {
    expect(deriveWebhookEntries([], config())).toEqual({ desired: [ALIAS], warnings: [] });
  });

  it.each([
    [
      "service account",
      {},
      subject({ "spire-workload": "WORKLOAD" }),
      "spiffe://domain.test/ns/NAMESPACE/sa/SERVICEACCOUNT",
    ],
    [
      "label",
      { podLabel: "spire-workload" },
      subject({ "spire-workload": "WORKLOAD" }),
      "spiffe://domain.test/WORKLOAD",
    ],
    [
      "annotation with /",
      { podAnnotation: "spiffe.io/spiffe-id" },
      subject(undefined, { "spiffe.io/spiffe-id": "ENV/WORKLOAD" }),
      "spiffe://domain.test/ENV/WORKLOAD",
    ],
  ])(
    "%s: parent is the alias, selectors ns and pod-name, no node needed",
    (_name, overrides, input, spiffeId) => {
      expect(deriveWebhookEntries([input], config(overrides))).toEqual({
        desired: [ALIAS, spec(spiffeId, PARENT, SELECTORS)],
        warnings: [],
      });
    },
  );

  it.each([
    ["unlabelled pod in label mode", { podLabel: "somelabel" }, subject()],
    ["unannotated pod in annotation mode", { podAnnotation: "someannotation" }, subject()],
    ["kube-system", {}, pod({ namespace: "kube-system" })],
    ["kube-public", {}, pod({ namespace: "kube-public" })],
    ["terminal pod", {}, pod({ phase: "Succeeded" })],
  ])("no pod entry: %s", (_name, overrides, input) => {
    expect(deriveWebhookEntries([input], config(overrides)).desired).toEqual([ALIAS]);
  });

  it("carries the federatesWith annotation", () => {
    const input = subject(undefined, { "spiffe.io/federatesWith": "example.io" });
    expect(deriveWebhookEntries([input], config()).desired[1]?.federatesWith).toEqual(["example.io"]);
  });

  it("an invalid label value is a warning, not a rewritten ID (reference §7)", () => {
    const result = deriveWebhookEntries([subject({ w: "a/../b" })], config({ podLabel: "w" }));
    expect(result.desired).toEqual([ALIAS]);
    expect(result.warnings).toEqual([
      {
        code: "invalid-spiffe-id",
        object: { kind: "Pod", namespace: "NAMESPACE", name: "PODNAME" },
        message: 'label "w" value "a/../b" is not a valid SPIFFE ID path: path cannot contain dot segments',
      },
    ]);
  });

  it("gives pod entries no DNS names: dns_name_templates is crd mode's (v0.11 webhook entries had none)", () => {
    const [, entry] = deriveWebhookEntries(
      [subject()],
      config({ dnsNameTemplates: ["{{.Pod.Name}}"] }),
    ).desired;
    expect(entry?.dnsNames).toEqual([]);
  });
});
