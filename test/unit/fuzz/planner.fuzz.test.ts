/**
 * Fuzz: the planner. For hostile label, annotation and template values, names and addresses, every
 * entry it derives (in every mode) would pass SPIRE's own rules: both IDs parse, the workload ID is in
 * the trust domain with a path and not under SPIRE's reserved `/spire`, every DNS name is one SPIRE
 * accepts, and there is at least one selector. Everything else becomes a warning, never an exception.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveCrdSpiffeIds } from "../../../lib/planner/derive-crd.js";
import { deriveReconcileEntries } from "../../../lib/planner/derive-reconcile.js";
import { deriveWebhookEntries } from "../../../lib/planner/derive-webhook.js";
import { dnsNameError } from "../../../lib/planner/dns-name.js";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import type { ClusterSnapshot, Pod } from "../../../lib/planner/k8s-objects.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import { spiffeIdToEntrySpec } from "../../../lib/planner/spiffeid-entry.js";
import { parseSpiffeId } from "../../../lib/spiffe/id.js";
import { endpoints, podAddress, reconcileConfig } from "../planner/fixtures.js";
import { fuzz, mixedString } from "./support.js";

const TD = "example.test";
const VALUE_PIECES = [
  "web",
  "spire",
  "/",
  "agent",
  "server",
  "ns",
  "..",
  ".",
  "a b",
  "-",
  "_",
  "x".repeat(70),
  "%2F",
  "é",
];
const NAME_PIECES = ["web", "-", ".", "1", "a", "x".repeat(40)];

const value = mixedString(VALUE_PIECES, 6);
const kubeName = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .array(fc.constantFrom(...NAME_PIECES), { minLength: 1, maxLength: 5 })
      .map((p) => p.join("")),
  },
  { weight: 1, arbitrary: mixedString(NAME_PIECES, 4) },
);
const ip = fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom("::ffff:10.0.0.1", "", "not-an-ip"));

const pod = fc
  .record({
    name: kubeName,
    namespace: fc.constantFrom("default", "web", "kube-system"),
    node: kubeName,
    serviceAccount: kubeName,
    hostname: fc.option(kubeName, { nil: undefined }),
    podIP: fc.option(ip, { nil: undefined }),
    label: fc.option(value, { nil: undefined }),
    annotation: fc.option(value, { nil: undefined }),
    gate: fc.constantFrom("true", "TRUE", "false", undefined),
    federatesWith: fc.option(mixedString(["example.org", ",", " ", "spiffe://x.org", "BAD"], 4), {
      nil: undefined,
    }),
  })
  .map(
    (p): Pod => ({
      metadata: {
        name: p.name,
        namespace: p.namespace,
        uid: `uid-${p.name}`,
        labels: {
          ...(p.label === undefined ? {} : { spiffe: p.label }),
          ...(p.gate ? { gate: p.gate } : {}),
        },
        annotations: {
          ...(p.annotation === undefined ? {} : { "spiffe.io/id": p.annotation }),
          ...(p.federatesWith === undefined ? {} : { "spiffe.io/federatesWith": p.federatesWith }),
        },
      },
      spec: {
        nodeName: p.node,
        serviceAccountName: p.serviceAccount,
        ...(p.hostname === undefined ? {} : { hostname: p.hostname }),
      },
      status: { phase: "Running", ...(p.podIP === undefined ? {} : { podIP: p.podIP }) },
    }),
  );

const config = fc
  .record({
    rule: fc.constantFrom("label", "annotation", "template", "default"),
    template: fc.constantFrom(
      "ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}",
      "{{.Pod.Name}}",
      "spire/{{.Pod.Name}}",
      "region/{{.Context.region}}/{{.Pod.Hostname}}",
    ),
    gated: fc.boolean(),
    addPodDnsNames: fc.boolean(),
    addSvcDnsName: fc.boolean(),
    dnsNameTemplates: fc.constantFrom(
      [],
      ["{{.Pod.Name}}"],
      ["{{.Pod.Hostname}}.x", "{{.Pod.Name}}.{{.Pod.Namespace}}.svc"],
    ),
  })
  .map(
    (c): PlannerConfig =>
      reconcileConfig({
        trustDomain: TD,
        podLabel: c.rule === "label" ? "spiffe" : "",
        podAnnotation: c.rule === "annotation" ? "spiffe.io/id" : "",
        identityTemplate: c.rule === "template" ? c.template : "",
        identityTemplateLabel: c.gated ? "gate" : "",
        context: { region: "eu" },
        addPodDnsNames: c.addPodDnsNames,
        addSvcDnsName: c.addSvcDnsName,
        dnsNameTemplates: c.dnsNameTemplates,
      }),
  );

const snapshot = fc.array(pod, { maxLength: 4 }).map(
  (pods): ClusterSnapshot => ({
    pods,
    nodes: pods.map((p) => ({ metadata: { name: p.spec?.nodeName ?? "n", uid: "u" } })),
    endpoints: [
      endpoints(
        "default",
        "svc",
        pods.map((p) =>
          podAddress(
            p.status?.podIP ?? "10.0.0.1",
            p.metadata?.namespace ?? "",
            p.metadata?.name ?? "",
            p.spec?.hostname,
          ),
        ),
      ),
    ],
  }),
);

/** What SPIRE checks of an entry, as messages (none: it would be accepted). */
function entryProblems(entry: EntrySpec): string[] {
  const problems: string[] = [];
  const id = parseSpiffeId(entry.spiffeId);
  if (!id.ok) problems.push(`spiffeId ${entry.spiffeId}: ${id.error}`);
  else {
    if (id.value.trustDomain !== TD) problems.push(`spiffeId ${entry.spiffeId}: other trust domain`);
    if (id.value.segments.length === 0) problems.push(`spiffeId ${entry.spiffeId}: no path`);
    if (id.value.segments[0] === "spire") problems.push(`spiffeId ${entry.spiffeId}: under /spire`);
  }
  const parent = parseSpiffeId(entry.parentId);
  if (!parent.ok) problems.push(`parentId ${entry.parentId}: ${parent.error}`);
  if (entry.selectors.length === 0) problems.push("no selectors");
  for (const name of entry.dnsNames) {
    const error = dnsNameError(name);
    if (error !== undefined) problems.push(`DNS name ${JSON.stringify(name)}: ${error}`);
  }
  return problems;
}

describe("fuzz: the planner", () => {
  it("derives only entries SPIRE would accept, in reconcile, webhook and crd modes", async () => {
    await fuzz(
      fc.property(snapshot, config, (cluster, plannerConfig) => {
        const reconcile = deriveReconcileEntries(cluster, { ...plannerConfig, mode: "reconcile" }).desired;
        const webhook = deriveWebhookEntries(cluster.pods, { ...plannerConfig, mode: "webhook" }).desired;
        const crd = deriveCrdSpiffeIds(cluster, { ...plannerConfig, mode: "crd" }, "spire").desired.flatMap(
          (resource) => {
            const entry = spiffeIdToEntrySpec(resource.spec);
            return entry.ok ? [entry.value] : [];
          },
        );
        for (const entry of [...reconcile, ...webhook, ...crd]) expect(entryProblems(entry)).toEqual([]);
      }),
      600,
    );
  });
});
