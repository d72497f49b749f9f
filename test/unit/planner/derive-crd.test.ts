import { describe, expect, it } from "vitest";
import {
  deriveCrdSpiffeIds,
  deriveNodeSpiffeIdResource,
  derivePodSpiffeIdResource,
  parseCrdPodRules,
} from "../../../lib/planner/derive-crd.js";
import { podsTargetedBy, type serviceDnsNamesForPod } from "../../../lib/planner/derive-crd-services.js";
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import type { Warning } from "../../../lib/planner/warning.js";
import { endpoints, node, pod, podAddress, reconcileConfig } from "./fixtures.js";

const TD = "example.test";
const NODE_ROOT = `spiffe://${TD}/k8s-workload-registrar/test-cluster/node`;

function crdConfig(overrides: Partial<PlannerConfig> = {}): PlannerConfig {
  return reconcileConfig({
    mode: "crd",
    dnsNameTemplates: ["{{.Pod.Name}}"],
    addSvcDnsName: true,
    ...overrides,
  });
}

function derivePod(p: Pod, config = crdConfig(), eps = [] as Parameters<typeof serviceDnsNamesForPod>[1]) {
  const rules = parseCrdPodRules(config);
  if (!rules.ok) throw new Error(rules.error);
  const warnings: Warning[] = [];
  return { desired: derivePodSpiffeIdResource(p, eps, rules.value, warnings), warnings };
}

describe("derivePodSpiffeIdResource", () => {
  it("builds the SpiffeID of reference §4.6: name, label, owner, parent, selector, DNS names", () => {
    const { desired } = derivePod(
      pod({ name: "test-pod", namespace: "default", node: "test-node", serviceAccount: "sa" }),
    );
    expect(desired).toEqual({
      metadata: {
        name: "test-pod",
        namespace: "default",
        labels: { podUid: "uid-test-pod" },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Pod",
            name: "test-pod",
            uid: "uid-test-pod",
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      spec: {
        spiffeId: `spiffe://${TD}/ns/default/sa/sa`,
        parentId: `${NODE_ROOT}/test-node`,
        selector: { podUid: "uid-test-pod", namespace: "default", nodeName: "test-node" },
        dnsNames: ["test-pod"],
      },
    });
  });

  it.each([
    ["label", { podLabel: "spiffe" }, { labels: { spiffe: "test-label" } }, "test-label"],
    ["annotation", { podAnnotation: "spiffe" }, { annotations: { spiffe: "a/b" } }, "a/b"],
    [
      "identity template with context",
      { identityTemplate: "region/{{.Context.Region}}/podName/{{.Pod.Name}}", context: { Region: "EU-DE" } },
      {},
      "region/EU-DE/podName/foo",
    ],
  ])("takes the ID from the %s", (_, config, podOptions, path) => {
    expect(derivePod(pod(podOptions), crdConfig(config)).desired?.spec.spiffeId).toBe(
      `spiffe://${TD}/${path}`,
    );
  });

  it("renders the DNS-name templates in order, drops names SPIRE rejects with a warning, then adds sorted service names", () => {
    const config = crdConfig({
      dnsNameTemplates: [
        "{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}.svc",
        "-{{.Pod.Name}}",
        "{{.Pod.Name}}.svc",
      ],
    });
    const eps = [
      endpoints("bar", "zeta", [podAddress("10.0.0.1", "bar", "foo")]),
      endpoints("bar", "alpha", [podAddress("10.0.0.1", "bar", "foo")]),
      endpoints("bar", "unready", [], [podAddress("10.0.0.1", "bar", "foo")]),
      endpoints("other", "elsewhere", [podAddress("10.0.0.1", "bar", "foo")]),
    ];
    const { desired, warnings } = derivePod(pod(), config, eps);
    expect(desired?.spec.dnsNames).toEqual(["sa1.bar.svc", "foo.svc", "alpha.bar.svc", "zeta.bar.svc"]);
    expect(warnings).toMatchObject([{ code: "invalid-dns-name", object: { kind: "Pod", name: "foo" } }]);
  });

  it("adds no service names without add_svc_dns_name, and none from a same-named predecessor's address", () => {
    const eps = [endpoints("bar", "web", [podAddress("10.0.0.1", "bar", "foo")])];
    expect(derivePod(pod(), crdConfig({ addSvcDnsName: false }), eps).desired?.spec.dnsNames).toEqual([
      "foo",
    ]);
    const successor: Pod = { ...pod(), metadata: { ...pod().metadata, uid: "uid-new" } };
    expect(derivePod(successor, crdConfig(), eps).desired?.spec.dnsNames).toEqual(["foo"]);
  });

  it("puts the federation annotation's valid trust domains in spec.federatesWith", () => {
    const { desired, warnings } = derivePod(
      pod({ annotations: { "spiffe.io/federatesWith": "a.org, bad domain,b.org" } }),
    );
    expect(desired?.spec.federatesWith).toEqual(["a.org", "b.org"]);
    expect(warnings).toMatchObject([{ code: "invalid-federated-trust-domain" }]);
  });

  it.each([
    ["a disabled namespace", pod({ namespace: "kube-system" }), crdConfig()],
    ["no node", pod({ node: "" }), crdConfig()],
    ["a terminal phase", pod({ phase: "Failed" }), crdConfig()],
    ["no label in label mode", pod(), crdConfig({ podLabel: "spiffe" })],
    [
      "the template gate label false",
      pod({ labels: { gate: "false" } }),
      crdConfig({ identityTemplateLabel: "gate" }),
    ],
  ])("gives no SpiffeID for %s", (_, p, config) => {
    expect(derivePod(p, config)).toEqual({ desired: undefined, warnings: [] });
  });

  it("warns and gives none for an invalid ID value", () => {
    const { desired, warnings } = derivePod(
      pod({ labels: { spiffe: "a//b" } }),
      crdConfig({ podLabel: "spiffe" }),
    );
    expect(desired).toBeUndefined();
    expect(warnings).toMatchObject([{ code: "invalid-spiffe-id" }]);
  });
});

describe("deriveNodeSpiffeIdResource", () => {
  it("builds the node SpiffeID of reference §4.5 in the registrar namespace", () => {
    const warnings: Warning[] = [];
    expect(deriveNodeSpiffeIdResource(node("test-node"), crdConfig(), "spire", warnings)).toEqual({
      metadata: {
        name: "test-node",
        namespace: "spire",
        labels: { nodeUid: "uid-test-node" },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Node",
            name: "test-node",
            uid: "uid-test-node",
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      spec: {
        spiffeId: `${NODE_ROOT}/test-node`,
        parentId: `spiffe://${TD}/spire/server`,
        selector: { cluster: "test-cluster", agent_node_uid: "uid-test-node" },
      },
    });
    expect(warnings).toEqual([]);
  });
});

describe("deriveCrdSpiffeIds", () => {
  it("derives nodes then pods, matching Endpoints by namespace", () => {
    const derivation = deriveCrdSpiffeIds(
      {
        nodes: [node("n1")],
        pods: [pod({ name: "a", namespace: "x" }), pod({ name: "b", namespace: "y" })],
        endpoints: [endpoints("y", "svc", [podAddress("10.0.0.1", "y", "b")])],
      },
      crdConfig(),
      "spire",
    );
    expect(derivation.desired.map((d) => [d.metadata.namespace, d.metadata.name, d.spec.dnsNames])).toEqual([
      ["spire", "n1", undefined],
      ["x", "a", ["a"]],
      ["y", "b", ["b", "svc.y.svc"]],
    ]);
  });
});

describe("podsTargetedBy", () => {
  it("lists the pods of ready addresses only, sorted, once each", () => {
    const eps = endpoints(
      "ns",
      "svc",
      [podAddress("1", "ns", "b"), podAddress("2", "ns", "a"), podAddress("3", "ns", "b"), { ip: "4" }],
      [podAddress("5", "ns", "c")],
    );
    expect(podsTargetedBy(eps)).toEqual(["a", "b"]);
  });
});
