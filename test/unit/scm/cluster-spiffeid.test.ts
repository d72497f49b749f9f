/**
 * ClusterSPIFFEID specs parsed and pod entries rendered as SCM does: golden/cluster-spiffeids.json holds the
 * answers of SCM v0.6.6's own ParseClusterSPIFFEIDSpec and renderPodEntry (scripts/scm-oracle) for the pod and
 * node of golden/objects.json (or a case's own objects), trust domain example.org, cluster "demo".
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_PARENT_ID_TEMPLATE,
  parseClusterSpiffeIdSpec,
  parseParentIdTemplate,
  renderPodEntry,
  serviceDnsNames,
} from "../../../lib/scm/cluster-spiffeid.js";
import type { KubeObjectJson, PodJson } from "../../../lib/scm/objects.js";

interface GoldenCase {
  readonly spec: unknown;
  readonly pod?: PodJson;
  readonly node?: KubeObjectJson;
  readonly nodeGone?: boolean;
  readonly endpoints?: string[];
  readonly config?: { trustDomain: string; clusterDomain: string; parentIDTemplate: string };
  readonly decodeError?: string;
  readonly parseError?: string;
  readonly renderError?: string;
  readonly entry?: Record<string, unknown> & { selectors: { Type: string; Value: string }[] };
}

const golden = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./golden/${name}`, import.meta.url), "utf8"));
const CASES = golden("cluster-spiffeids.json") as GoldenCase[];
const OBJECTS = golden("objects.json") as { pod: PodJson; node: KubeObjectJson };

function run(
  test: GoldenCase,
): Omit<GoldenCase, "spec" | "pod" | "node" | "nodeGone" | "endpoints" | "config"> {
  const spec = parseClusterSpiffeIdSpec(test.spec);
  if (!spec.ok)
    return spec.error.kind === "decode"
      ? { decodeError: spec.error.message }
      : { parseError: spec.error.message };
  const config = test.config ?? {
    trustDomain: "example.org",
    clusterDomain: "cluster.local",
    parentIDTemplate: "",
  };
  const parentIdTemplate = parseParentIdTemplate(config.parentIDTemplate);
  if (!parentIdTemplate.ok) throw new Error(parentIdTemplate.error);
  const pod = test.pod ?? OBJECTS.pod;
  const node = test.nodeGone === true ? undefined : (test.node ?? OBJECTS.node);
  const services = (test.endpoints ?? []).map((name) => ({ name, namespace: pod.metadata?.namespace ?? "" }));
  const rendered = renderPodEntry(spec.value, pod, node, services, {
    trustDomain: config.trustDomain,
    clusterName: "demo",
    clusterDomain: config.clusterDomain,
    parentIdTemplate: parentIdTemplate.value,
  });
  if (!rendered.ok) return { renderError: rendered.error };
  const { selectors, ...entry } = rendered.value.spec;
  return {
    entry: { ...entry, selectors: selectors.map(({ type, value }) => ({ Type: type, Value: value })) },
  };
}

describe("ClusterSPIFFEID specs and pod entries match SCM's (golden/cluster-spiffeids.json)", () => {
  it.each(CASES.map((test) => [JSON.stringify(test.spec).slice(0, 140), test] as const))(
    "%s",
    (_name, test) => {
      const { spec: _s, pod: _p, node: _n, nodeGone: _g, endpoints: _e, config: _c, ...expected } = test;
      expect(run(test)).toEqual(expected);
    },
  );
});

describe("cluster-spiffeid details", () => {
  it("keeps the declared TTLs as exact durations (SCM compares them with SPIRE's seconds)", () => {
    const spec = parseClusterSpiffeIdSpec({
      spiffeIDTemplate: "spiffe://example.org/x",
      ttl: "1.5s",
      jwtTtl: "2m",
    });
    const parent = parseParentIdTemplate(undefined);
    if (!spec.ok || !parent.ok) throw new Error("setup");
    const rendered = renderPodEntry(spec.value, OBJECTS.pod, OBJECTS.node, [], {
      trustDomain: "example.org",
      clusterName: "demo",
      clusterDomain: "",
      parentIdTemplate: parent.value,
    });
    expect(
      rendered.ok && [rendered.value.x509SvidTtl, rendered.value.spec.x509SvidTtl, rendered.value.jwtSvidTtl],
    ).toEqual([1_500_000_000n, 1, 120_000_000_000n]);
  });

  it("the default parent ID template is SCM's", () => {
    expect(DEFAULT_PARENT_ID_TEMPLATE).toBe(
      "spiffe://{{ .TrustDomain }}/spire/agent/k8s_psat/{{ .ClusterName }}/{{ .NodeMeta.UID }}",
    );
    expect(parseParentIdTemplate("spiffe://{{ .TrustDomain }}/{{")).toEqual({
      ok: false,
      error: "template: customParentIDTemplate:1: unclosed action",
    });
  });

  it("Service names: four per Service (three without a cluster domain), sorted as Go sorts strings", () => {
    expect(
      serviceDnsNames(
        [
          { name: "b", namespace: "ns" },
          { name: "a", namespace: "ns" },
        ],
        "cluster.local",
      ),
    ).toEqual([
      "a",
      "a.ns",
      "a.ns.svc",
      "a.ns.svc.cluster.local",
      "b",
      "b.ns",
      "b.ns.svc",
      "b.ns.svc.cluster.local",
    ]);
    expect(serviceDnsNames([{ name: "a", namespace: "ns" }], "")).toEqual(["a", "a.ns", "a.ns.svc"]);
  });
});
