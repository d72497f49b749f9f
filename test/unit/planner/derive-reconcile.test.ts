import { describe, expect, it } from "vitest";
import { deriveReconcileEntries } from "../../../lib/planner/derive-reconcile.js";
import type { ClusterSnapshot } from "../../../lib/planner/k8s-objects.js";
import { endpoints, node, pod, podAddress, reconcileConfig, spec } from "./fixtures.js";

// The Go tests use a hand-built root `/foo/node`; ours is derived from controller_name and cluster.
const ROOT = "spiffe://example.test/spire-k8s-registrar/test-cluster/node";
const SERVER = "spiffe://example.test/spire/server";
const POD_SELECTORS = ["k8s:ns:bar", "k8s:pod-name:foo"];

function snapshot(parts: Partial<ClusterSnapshot>): ClusterSnapshot {
  return { pods: [], nodes: [], endpoints: [], ...parts };
}

describe("reconcile mode: node entries (reference §3.1, §6.5)", () => {
  it("registers each node under the root, parented to the SPIRE server", () => {
    const result = deriveReconcileEntries(snapshot({ nodes: [node("foo")] }), reconcileConfig());
    expect(result).toEqual({
      desired: [
        spec(`${ROOT}/foo`, SERVER, ["k8s_psat:agent_node_name:foo", "k8s_psat:cluster:test-cluster"]),
      ],
      warnings: [],
    });
  });

  it("uses controller_name and cluster in the root", () => {
    const config = reconcileConfig({ controllerName: "override", cluster: "c2" });
    const [entry] = deriveReconcileEntries(snapshot({ nodes: [node("n1")] }), config).desired;
    expect(entry?.spiffeId).toBe("spiffe://example.test/override/c2/node/n1");
  });

  it("copies the node's federatesWith annotation, as Go v1.5.6 does", () => {
    const nodes = [node("foo", { "spiffe.io/federatesWith": "example.io" })];
    const [entry] = deriveReconcileEntries(snapshot({ nodes }), reconcileConfig()).desired;
    expect(entry?.federatesWith).toEqual(["example.io"]);
  });
});

describe("reconcile mode: pod IDs (reference §3.1, §6.6)", () => {
  it.each([
    ["service account", {}, pod({ serviceAccount: "sa1" }), "spiffe://example.test/ns/bar/sa/sa1"],
    ["service account (changed)", {}, pod({ serviceAccount: "sa2" }), "spiffe://example.test/ns/bar/sa/sa2"],
    ["label", { podLabel: "spiffe" }, pod({ labels: { spiffe: "label1" } }), "spiffe://example.test/label1"],
    [
      "label (changed)",
      { podLabel: "spiffe" },
      pod({ labels: { spiffe: "label2" } }),
      "spiffe://example.test/label2",
    ],
    [
      "annotation",
      { podAnnotation: "spiffe" },
      pod({ annotations: { spiffe: "annotation1" } }),
      "spiffe://example.test/annotation1",
    ],
    [
      "label with / is a multi-segment path",
      { podLabel: "spiffe" },
      pod({ labels: { spiffe: "production/example-workload" } }),
      "spiffe://example.test/production/example-workload",
    ],
    [
      "annotation with /",
      { podAnnotation: "spiffe.io/spiffe-id" },
      pod({ annotations: { "spiffe.io/spiffe-id": "ENV/WORKLOAD" } }),
      "spiffe://example.test/ENV/WORKLOAD",
    ],
    [
      "identity template",
      {
        identityTemplate: "region/{{.Context.Region}}/podName/{{ .Pod.Name }}",
        context: { Region: "EU-DE" },
      },
      pod(),
      "spiffe://example.test/region/EU-DE/podName/foo",
    ],
  ])("%s", (_name, overrides, input, spiffeId) => {
    const result = deriveReconcileEntries(snapshot({ pods: [input] }), reconcileConfig(overrides));
    expect(result).toEqual({ desired: [spec(spiffeId, `${ROOT}/baz`, POD_SELECTORS)], warnings: [] });
  });

  it.each([
    ["label mode, label absent", { podLabel: "spiffe" }, pod({ labels: { other: "x" } })],
    ["annotation mode, annotation absent", { podAnnotation: "spiffe" }, pod()],
    ["pod without a node", {}, pod({ node: "" })],
    ["pod Succeeded", {}, pod({ phase: "Succeeded" })],
    ["pod Failed", {}, pod({ phase: "Failed" })],
    [
      "disabled namespace (reference §6.6 TestSkipsDisabledNamespace)",
      { disabledNamespaces: ["bar"] },
      pod(),
    ],
    ["default disabled namespace", {}, pod({ namespace: "kube-system" })],
    ["template label absent", { identityTemplateLabel: "IDENTITYTEMPLATE" }, pod()],
    [
      "template label not true",
      { identityTemplateLabel: "IDENTITYTEMPLATE" },
      pod({ labels: { IDENTITYTEMPLATE: "false" } }),
    ],
  ])("no entry and no warning: %s", (_name, overrides, input) => {
    expect(deriveReconcileEntries(snapshot({ pods: [input] }), reconcileConfig(overrides))).toEqual({
      desired: [],
      warnings: [],
    });
  });

  it("keeps the entry of a pod that is terminating (deletionTimestamp set)", () => {
    const input = pod({ deletionTimestamp: "2026-01-01T00:00:00Z" });
    expect(deriveReconcileEntries(snapshot({ pods: [input] }), reconcileConfig()).desired).toHaveLength(1);
  });

  it("gates the template on a label equal to true in any case", () => {
    const input = pod({ labels: { IDENTITYTEMPLATE: "True" } });
    const config = reconcileConfig({ identityTemplateLabel: "IDENTITYTEMPLATE" });
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input] }), config).desired;
    expect(entry?.spiffeId).toBe("spiffe://example.test/ns/bar/sa/sa1");
  });

  it("does not apply the template label to label mode", () => {
    const input = pod({ labels: { spiffe: "web" } });
    const config = reconcileConfig({ podLabel: "spiffe", identityTemplateLabel: "IDENTITYTEMPLATE" });
    expect(deriveReconcileEntries(snapshot({ pods: [input] }), config).desired).toHaveLength(1);
  });

  it.each([
    ["empty value", ""],
    ["leading slash", "/web"],
    ["trailing slash", "web/"],
    ["dot-dot", "a/../b"],
    ["space", "my app"],
    ["percent", "a%2Fb"],
    ["SPIRE's agent path, which SPIRE refuses (hardening defect 10)", "spire/agent/x"],
    ["SPIRE's server ID (hardening defect 10)", "spire/server"],
    ["SPIRE's reserved root (hardening defect 10)", "spire"],
  ])("invalid label value (%s): no entry, one warning naming the pod", (_name, value) => {
    const result = deriveReconcileEntries(
      snapshot({ pods: [pod({ labels: { spiffe: value } })] }),
      reconcileConfig({ podLabel: "spiffe" }),
    );
    expect(result.desired).toEqual([]);
    expect(result.warnings).toEqual([
      {
        code: "invalid-spiffe-id",
        object: { kind: "Pod", namespace: "bar", name: "foo" },
        message: expect.stringContaining(
          `label "spiffe" value ${JSON.stringify(value)} is not a valid SPIFFE ID path`,
        ),
      },
    ]);
  });

  it("other pods are unaffected by one invalid pod", () => {
    const pods = [
      pod({ name: "bad", labels: { spiffe: "a b" } }),
      pod({ name: "good", labels: { spiffe: "ok" } }),
    ];
    const result = deriveReconcileEntries(snapshot({ pods }), reconcileConfig({ podLabel: "spiffe" }));
    expect(result.desired.map((entry) => entry.spiffeId)).toEqual(["spiffe://example.test/ok"]);
    expect(result.warnings).toHaveLength(1);
  });

  it("an unparsable identity template yields one config warning and no pod entries", () => {
    const config = reconcileConfig({ identityTemplate: "region/{{.Pod.XXXX}}" });
    const result = deriveReconcileEntries(
      snapshot({ pods: [pod(), pod({ name: "x" })], nodes: [node("baz")] }),
      config,
    );
    expect(result.desired.map((entry) => entry.spiffeId)).toEqual([`${ROOT}/baz`]);
    expect(result.warnings).toEqual([
      {
        code: "invalid-template",
        object: { kind: "Config", name: "identity_template" },
        message: expect.stringContaining("can't evaluate field XXXX"),
      },
    ]);
  });

  it("throws on a cluster name that config validation should have rejected", () => {
    expect(() => deriveReconcileEntries(snapshot({}), reconcileConfig({ cluster: "a/b" }))).toThrow(
      /cluster/,
    );
  });
});

describe("reconcile mode: federation annotation", () => {
  it.each([
    ["example.io", ["example.io"], 0],
    ["example.com,example.org", ["example.com", "example.org"], 0],
    [" example.com , example.org ,", ["example.com", "example.org"], 0],
    ["spiffe://example.com", ["example.com"], 0],
    ["example.com,Bad Domain", ["example.com"], 1],
    ["", [], 0],
  ])("%j -> %j with %i warnings", (value, federatesWith, warningCount) => {
    const input = pod({ annotations: { "spiffe.io/federatesWith": value } });
    const result = deriveReconcileEntries(snapshot({ pods: [input] }), reconcileConfig());
    expect(result.desired[0]?.federatesWith).toEqual(federatesWith);
    expect(result.warnings).toHaveLength(warningCount);
  });
});

describe("reconcile mode: DNS names (reference §3.5, §6.6)", () => {
  it("takes none from dns_name_templates, crd mode's key (v1.5.6 reconcile entries had none)", () => {
    const config = reconcileConfig({ dnsNameTemplates: ["{{.Pod.Name}}"], addPodDnsNames: true });
    const [entry] = deriveReconcileEntries(snapshot({ pods: [pod({ podIP: "10.0.0.1" })] }), config).desired;
    expect(entry?.dnsNames).toEqual(["10-0-0-1.bar.pod.cluster.local", "10-0-0-1.bar.pod"]);
  });

  const dnsConfig = reconcileConfig({ addPodDnsNames: true });
  const fooSvc = endpoints("bar", "foo-svc", [podAddress("123.123.123.123", "bar", "foo")]);

  it("has no DNS names without add_pod_dns_names", () => {
    const input = pod({ podIP: "123.123.123.124" });
    const [entry] = deriveReconcileEntries(
      snapshot({ pods: [input], endpoints: [fooSvc] }),
      reconcileConfig(),
    ).desired;
    expect(entry?.dnsNames).toEqual([]);
  });

  it("has no DNS names before the pod has an IP", () => {
    const [entry] = deriveReconcileEntries(
      snapshot({ pods: [pod()], endpoints: [fooSvc] }),
      dnsConfig,
    ).desired;
    expect(entry?.dnsNames).toEqual([]);
  });

  it("has only the pod-IP names without Endpoints", () => {
    const [entry] = deriveReconcileEntries(
      snapshot({ pods: [pod({ podIP: "123.123.123.124" })] }),
      dnsConfig,
    ).desired;
    expect(entry?.dnsNames).toEqual(["123-123-123-124.bar.pod.cluster.local", "123-123-123-124.bar.pod"]);
  });

  it("produces the 14 names of TestAddDnsNames in the Go registrar's order", () => {
    const input = pod({ podIP: "123.123.123.124" });
    const [entry] = deriveReconcileEntries(
      snapshot({ pods: [input], endpoints: [fooSvc] }),
      dnsConfig,
    ).desired;
    expect(entry?.dnsNames).toEqual([
      "123-123-123-124.bar.pod.cluster.local",
      "123-123-123-124.bar.pod",
      "123-123-123-123.foo-svc",
      "123-123-123-123.foo-svc.bar",
      "123-123-123-123.foo-svc.bar.svc",
      "123-123-123-123.foo-svc.bar.svc.cluster.local",
      "foo-svc",
      "foo-svc.bar",
      "foo-svc.bar.svc",
      "foo-svc.bar.svc.cluster.local",
      "foo.foo-svc",
      "foo.foo-svc.bar",
      "foo.foo-svc.bar.svc",
      "foo.foo-svc.bar.svc.cluster.local",
    ]);
  });

  it("omits pod-name names for a dotted pod name (TestDottedPodNamesDns)", () => {
    const input = pod({ name: "foo.3.0.0.woo", podIP: "123.123.123.124" });
    const svc = endpoints("bar", "foo-svc", [podAddress("123.123.123.123", "bar", "foo.3.0.0.woo")]);
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input], endpoints: [svc] }), dnsConfig).desired;
    expect(entry?.dnsNames).toHaveLength(10);
    expect(entry?.dnsNames.slice(0, 2)).toEqual([
      "123-123-123-124.bar.pod.cluster.local",
      "123-123-123-124.bar.pod",
    ]);
    expect(new Set(entry?.dnsNames)).toEqual(
      new Set([
        "123-123-123-124.bar.pod.cluster.local",
        "123-123-123-124.bar.pod",
        "foo-svc.bar.svc.cluster.local",
        "foo-svc.bar.svc",
        "foo-svc.bar",
        "foo-svc",
        "123-123-123-123.foo-svc.bar.svc.cluster.local",
        "123-123-123-123.foo-svc.bar.svc",
        "123-123-123-123.foo-svc.bar",
        "123-123-123-123.foo-svc",
      ]),
    );
  });

  it("ignores a dotted Service name (TestDottedServiceNamesDns)", () => {
    const input = pod({ podIP: "123.123.123.124" });
    const svc = endpoints("bar", "foo-svc.3.0.0", [podAddress("123.123.123.123", "bar", "foo")]);
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input], endpoints: [svc] }), dnsConfig).desired;
    expect(entry?.dnsNames).toEqual(["123-123-123-124.bar.pod.cluster.local", "123-123-123-124.bar.pod"]);
  });

  it("uses the address hostname instead of IP and pod name (headless Service with subdomain)", () => {
    const input = pod({ podIP: "10.0.0.5" });
    const svc = endpoints("bar", "db", [podAddress("10.0.0.5", "bar", "foo", "db-0")]);
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input], endpoints: [svc] }), dnsConfig).desired;
    expect(entry?.dnsNames).toEqual([
      "10-0-0-5.bar.pod.cluster.local",
      "10-0-0-5.bar.pod",
      "db",
      "db-0.db",
      "db-0.db.bar",
      "db-0.db.bar.svc",
      "db-0.db.bar.svc.cluster.local",
      "db.bar",
      "db.bar.svc",
      "db.bar.svc.cluster.local",
    ]);
  });

  it("includes not-ready addresses, as the Go registrar does", () => {
    const input = pod({ podIP: "10.0.0.5" });
    const svc = endpoints("bar", "web", [], [podAddress("10.0.0.5", "bar", "foo")]);
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input], endpoints: [svc] }), dnsConfig).desired;
    expect(entry?.dnsNames).toContain("web.bar.svc");
  });

  it("ignores Endpoints of other namespaces and other pods", () => {
    const input = pod({ podIP: "10.0.0.5" });
    const others = [
      endpoints("other", "web", [podAddress("10.0.0.5", "other", "foo")]),
      endpoints("bar", "api", [podAddress("10.0.0.6", "bar", "someone-else")]),
    ];
    const [entry] = deriveReconcileEntries(snapshot({ pods: [input], endpoints: others }), dnsConfig).desired;
    expect(entry?.dnsNames).toEqual(["10-0-0-5.bar.pod.cluster.local", "10-0-0-5.bar.pod"]);
  });

  it("munges IPv6 and IPv4-mapped IPv6 addresses into labels", () => {
    const v6 = deriveReconcileEntries(snapshot({ pods: [pod({ podIP: "fd00:10::5" })] }), dnsConfig);
    expect(v6.desired[0]?.dnsNames[1]).toBe("fd00-10--5.bar.pod");
    const mapped = deriveReconcileEntries(snapshot({ pods: [pod({ podIP: "::ffff:10.0.0.5" })] }), dnsConfig);
    // The leading "--" makes a label SPIRE rejects, so those names are dropped with warnings.
    expect(mapped.desired[0]?.dnsNames).toEqual([]);
    expect(mapped.warnings.map((warning) => warning.code)).toEqual(["invalid-dns-name", "invalid-dns-name"]);
  });

  it("keeps single-character labels, which SPIRE v1.15 accepts", () => {
    const input = pod({ podIP: "10.0.0.5" });
    const svc = endpoints("bar", "a", [podAddress("10.0.0.5", "bar", "foo", "x")]);
    const result = deriveReconcileEntries(snapshot({ pods: [input], endpoints: [svc] }), dnsConfig);
    expect(result.desired[0]?.dnsNames).toContain("x.a.bar.svc");
    expect(result.warnings).toEqual([]);
  });

  it("drops names SPIRE would reject, with a warning each, and keeps the entry", () => {
    const input = pod({ podIP: "10.0.0.5" });
    const config = reconcileConfig({ addPodDnsNames: true, clusterDnsZone: "cluster.local." });
    const result = deriveReconcileEntries(snapshot({ pods: [input] }), config);
    expect(result.desired[0]?.dnsNames).toEqual(["10-0-0-5.bar.pod"]);
    expect(result.warnings).toEqual([
      {
        code: "invalid-dns-name",
        object: { kind: "Pod", namespace: "bar", name: "foo" },
        message: 'dropped DNS name "10-0-0-5.bar.pod.cluster.local.": domain ends with dot',
      },
    ]);
  });
});
