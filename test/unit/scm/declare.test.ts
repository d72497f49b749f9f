/** One SCM pass declared without I/O (scm-model §1 class filter, §2 rendering, fallback, masking, stats, §3). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type ClusterState,
  type DeclaredKey,
  declareEntries,
  declarePodEntries,
  inPodScope,
} from "../../../lib/scm/declare.js";
import type { CustomResourceJson, KubeObjectJson, PodJson } from "../../../lib/scm/objects.js";
import {
  clusterSpiffeId,
  clusterStaticEntry,
  NS_SA_TEMPLATE,
  namespace,
  node,
  pod,
  scmConfig,
  TD,
} from "./fixtures.js";

function state(parts: Partial<ClusterState>): ClusterState {
  return {
    clusterSpiffeIds: [],
    clusterStaticEntries: [],
    namespaces: [namespace("default")],
    pods: [],
    nodes: [node("node-a")],
    servicesByPodUid: new Map(),
    ...parts,
  };
}

const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/demo/node-uid-node-a`;

function ids(declaration: {
  entries: readonly { winner: { entry: { spec: { spiffeId: string } } } }[];
}): string[] {
  return declaration.entries.map((key) => key.winner.entry.spec.spiffeId).sort();
}

function statsOf(declaration: ReturnType<typeof declareEntries>, name: string) {
  return declaration.clusterSpiffeIds.find((item) => item.resource.name === name)?.stats;
}

describe("class filter", () => {
  const resources = [
    clusterSpiffeId("classless", { spiffeIDTemplate: `spiffe://${TD}/classless` }),
    clusterSpiffeId("blue", { spiffeIDTemplate: `spiffe://${TD}/blue`, className: "blue" }),
  ];
  const pods = [pod("web")];

  it.each([
    ["", false, ["classless"]],
    ["", true, ["classless"]],
    ["blue", false, ["blue"]],
    ["blue", true, ["blue", "classless"]],
  ])("className %j, watchClassless %s", (className, watchClassless, expected) => {
    const config = scmConfig(`className: "${className}"\nwatchClassless: ${watchClassless}\n`);
    const declaration = declareEntries(state({ clusterSpiffeIds: resources, pods }), config);
    expect(ids(declaration)).toEqual(expected.map((name) => `spiffe://${TD}/${name}`));
    expect(declaration.clusterSpiffeIds.map((item) => item.resource.name).sort()).toEqual(expected);
  });
});

describe("namespaces and pods", () => {
  it("counts ignored namespaces among the selected ones and selects no pods there (unanchored regexes)", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("all", { spiffeIDTemplate: NS_SA_TEMPLATE })],
        namespaces: [
          namespace("default"),
          namespace("kube-system"),
          namespace("my-kube-system-2"),
          namespace("shop"),
        ],
        pods: [
          pod("a"),
          pod("b", { namespace: "kube-system" }),
          pod("c", { namespace: "my-kube-system-2" }),
          pod("d", { namespace: "shop" }),
        ],
      }),
      scmConfig(),
    );
    expect(statsOf(declaration, "all")).toEqual({
      namespacesSelected: 4,
      namespacesIgnored: 2,
      podsSelected: 2,
      podEntryRenderFailures: 0,
      entriesMasked: 0,
      entriesToSet: 2,
      entryFailures: 0,
    });
    expect(ids(declaration)).toEqual([`spiffe://${TD}/ns/default/sa/sa`, `spiffe://${TD}/ns/shop/sa/sa`]);
  });

  it("selects namespaces and pods by label; a pod in a namespace without a Namespace object is not seen", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [
          clusterSpiffeId("backend", {
            spiffeIDTemplate: NS_SA_TEMPLATE,
            namespaceSelector: { matchLabels: { backend: "true" } },
            podSelector: { matchExpressions: [{ key: "app", operator: "In", values: ["api", "db"] }] },
          }),
        ],
        namespaces: [namespace("default"), namespace("shop", { backend: "true" })],
        pods: [
          pod("api", { namespace: "shop", labels: { app: "api" } }),
          pod("web", { namespace: "shop", labels: { app: "web" } }),
          pod("api", { labels: { app: "api" } }),
          pod("orphan", { namespace: "gone", labels: { app: "api" } }),
        ],
      }),
      scmConfig(),
    );
    expect(statsOf(declaration, "backend")).toMatchObject({
      namespacesSelected: 1,
      podsSelected: 1,
      entriesToSet: 1,
    });
  });

  it("renders the entry with the node's parent ID, pod-uid selector first, store_svid false", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("all", { spiffeIDTemplate: NS_SA_TEMPLATE, ttl: "1h" })],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(declaration.entries.map((key) => key.winner.entry.spec)).toEqual([
      {
        spiffeId: `spiffe://${TD}/ns/default/sa/sa`,
        parentId: PARENT,
        selectors: [{ type: "k8s", value: "pod-uid:uid-default-web" }],
        dnsNames: [],
        federatesWith: [],
        admin: false,
        downstream: false,
        x509SvidTtl: 3600,
        jwtSvidTtl: 0,
        hint: "",
        storeSvid: false,
      },
    ]);
  });

  it("counts render failures (unscheduled pod, node gone) and records why", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("all", { spiffeIDTemplate: NS_SA_TEMPLATE })],
        pods: [pod("pending", { nodeName: undefined }), pod("lost", { nodeName: "node-gone" }), pod("ok")],
      }),
      scmConfig(),
    );
    expect(statsOf(declaration, "all")).toMatchObject({
      podsSelected: 3,
      podEntryRenderFailures: 2,
      entriesToSet: 1,
    });
    expect(declaration.renderFailures.map((failure) => failure.error)).toEqual([
      "node  not found in cache",
      "node node-gone not found in cache",
    ]);
  });

  it("a spec that does not parse declares nothing and keeps zero stats", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("broken", { spiffeIDTemplate: "{{ nope }}" })],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(declaration.entries).toEqual([]);
    expect(declaration.clusterSpiffeIds).toEqual([
      {
        resource: expect.objectContaining({ name: "broken" }),
        stats: expect.objectContaining({ namespacesSelected: 0, podsSelected: 0, entriesToSet: 0 }),
        specError: {
          kind: "invalid",
          message: 'invalid SPIFFEID template: template: spiffeIDTemplate:1: function "nope" not defined',
        },
      },
    ]);
  });

  it("reconcile.clusterSPIFFEIDs off declares no pod entries", () => {
    const config = scmConfig("reconcile:\n  clusterStaticEntries: true\n");
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("all", { spiffeIDTemplate: NS_SA_TEMPLATE })],
        pods: [pod("web")],
      }),
      config,
    );
    expect(declaration.entries).toEqual([]);
    expect(declaration.clusterSpiffeIds).toEqual([]);
  });
});

describe("fallback ClusterSPIFFEIDs", () => {
  const primary = clusterSpiffeId("primary", {
    spiffeIDTemplate: `spiffe://${TD}/primary`,
    podSelector: { matchLabels: { app: "web" } },
  });
  const fallback = clusterSpiffeId("fallback", {
    spiffeIDTemplate: `spiffe://${TD}/fallback/{{ .PodMeta.Name }}`,
    fallback: true,
  });
  const secondFallback = clusterSpiffeId("second", {
    spiffeIDTemplate: `spiffe://${TD}/second/{{ .PodMeta.Name }}`,
    fallback: true,
  });

  it("apply only to pods no non-fallback CR rendered an entry for, whatever the list order; skipped pods still count as selected", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [fallback, primary, secondFallback],
        pods: [pod("web", { labels: { app: "web" } }), pod("db")],
      }),
      scmConfig(),
    );
    expect(ids(declaration)).toEqual([
      `spiffe://${TD}/fallback/db`,
      `spiffe://${TD}/primary`,
      `spiffe://${TD}/second/db`,
    ]);
    expect(statsOf(declaration, "fallback")).toMatchObject({ podsSelected: 2, entriesToSet: 1 });
  });

  it("a non-fallback CR that fails to render does not mark the pod", () => {
    const failing = clusterSpiffeId("failing", { spiffeIDTemplate: `spiffe://other.org/x` });
    const declaration = declareEntries(
      state({ clusterSpiffeIds: [failing, fallback], pods: [pod("web")] }),
      scmConfig(),
    );
    expect(ids(declaration)).toEqual([`spiffe://${TD}/fallback/web`]);
  });
});

describe("masking and preference (one key space with static entries)", () => {
  const template = { spiffeIDTemplate: NS_SA_TEMPLATE };

  it("the oldest declarer wins; the others are masked", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [
          clusterSpiffeId("young", template, { creationTimestamp: "2024-06-01T00:00:00Z" }),
          clusterSpiffeId("old", { ...template, hint: "old" }, { creationTimestamp: "2023-01-01T00:00:00Z" }),
        ],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(declaration.entries).toHaveLength(1);
    expect(declaration.entries[0]?.winner.by.name).toBe("old");
    expect(declaration.entries[0]?.winner.entry.spec.hint).toBe("old");
    expect(statsOf(declaration, "old")).toMatchObject({ entriesToSet: 1, entriesMasked: 0 });
    expect(statsOf(declaration, "young")).toMatchObject({ entriesToSet: 0, entriesMasked: 1 });
  });

  it.each([
    [{ deletionTimestamp: "2024-02-01T00:00:00Z", uid: "a" }, { uid: "b" }, "b"],
    [
      { deletionTimestamp: "2024-02-01T00:00:00Z", uid: "a" },
      { deletionTimestamp: "2024-03-01T00:00:00Z", uid: "b" },
      "b",
    ],
    [{ uid: "b" }, { uid: "a" }, "a"],
  ])("same creation time: %j vs %j, %s wins", (first, second, winner) => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [
          clusterSpiffeId("first", template, first),
          clusterSpiffeId("second", template, second),
        ],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(declaration.entries[0]?.winner.by.uid).toBe(winner);
  });

  it("different SPIFFE IDs for one pod are two entries, neither masked", () => {
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [
          clusterSpiffeId("a", { spiffeIDTemplate: `spiffe://${TD}/a` }),
          clusterSpiffeId("b", { spiffeIDTemplate: `spiffe://${TD}/b` }),
        ],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(ids(declaration)).toEqual([`spiffe://${TD}/a`, `spiffe://${TD}/b`]);
    expect(declaration.entries.every((key) => key.masked.length === 0)).toBe(true);
  });

  it("a static entry and a pod entry with the same key compete; the static status says masked", () => {
    const staticSpec = {
      spiffeID: `spiffe://${TD}/ns/default/sa/sa`,
      parentID: PARENT,
      selectors: ["k8s:pod-uid:uid-default-web"],
    };
    const declaration = declareEntries(
      state({
        clusterSpiffeIds: [clusterSpiffeId("csid", template, { creationTimestamp: "2023-01-01T00:00:00Z" })],
        clusterStaticEntries: [
          clusterStaticEntry("static", staticSpec, { creationTimestamp: "2024-01-01T00:00:00Z" }),
        ],
        pods: [pod("web")],
      }),
      scmConfig(),
    );
    expect(
      declaration.entries.map((key) => [key.winner.by.name, key.masked.map((loser) => loser.by.name)]),
    ).toEqual([["csid", ["static"]]]);
    expect(declaration.clusterStaticEntries.map((item) => item.status)).toEqual([
      { rendered: true, masked: true, set: false },
    ]);
  });

  it("a static entry that does not render has rendered=false and declares nothing", () => {
    const declaration = declareEntries(
      state({
        clusterStaticEntries: [
          clusterStaticEntry("bad", { spiffeID: "x", parentID: PARENT, selectors: ["a:b"] }),
        ],
      }),
      scmConfig(),
    );
    expect(declaration.entries).toEqual([]);
    expect(declaration.clusterStaticEntries[0]).toMatchObject({
      status: { rendered: false, masked: false, set: false },
      renderError: { kind: "invalid", message: "failed to parse SPIFFEID: scheme is missing or invalid" },
    });
  });
});

describe("declarePodEntries (one pod) agrees with the whole pass", () => {
  const LABELS = ["a", "b"];
  const labels = fc.dictionary(fc.constantFrom(...LABELS), fc.constantFrom("x", "y"), { maxKeys: 2 });
  const crArbitrary = fc.record({
    id: fc.constantFrom("p", "q", "r"),
    fallback: fc.boolean(),
    podSelector: fc.option(labels, { nil: undefined }),
    namespaceSelector: fc.option(labels, { nil: undefined }),
    created: fc.integer({ min: 1, max: 3 }),
    broken: fc.boolean(),
  });
  const podArbitrary = fc.record({
    name: fc.constantFrom("web", "db", "api"),
    namespace: fc.constantFrom("default", "shop", "kube-system"),
    labels,
    scheduled: fc.boolean(),
  });

  it("for every pod, the scoped declaration is the whole pass's declaration restricted to the pod's keys", () => {
    fc.assert(
      fc.property(
        fc.array(crArbitrary, { maxLength: 4 }),
        fc.uniqueArray(podArbitrary, { maxLength: 5, selector: (item) => `${item.namespace}/${item.name}` }),
        fc.dictionary(fc.constantFrom("default", "shop", "kube-system"), labels),
        (crs, podSpecs, namespaceLabels) => {
          const resources: CustomResourceJson[] = crs.map((cr, index) =>
            clusterSpiffeId(
              `cr${index}`,
              {
                spiffeIDTemplate: cr.broken ? `spiffe://other.org/${cr.id}` : `spiffe://${TD}/${cr.id}`,
                fallback: cr.fallback,
                ...(cr.podSelector === undefined ? {} : { podSelector: { matchLabels: cr.podSelector } }),
                ...(cr.namespaceSelector === undefined
                  ? {}
                  : { namespaceSelector: { matchLabels: cr.namespaceSelector } }),
              },
              { creationTimestamp: `2024-01-0${cr.created}T00:00:00Z` },
            ),
          );
          const namespaces: KubeObjectJson[] = Object.entries(namespaceLabels).map(([name, nsLabels]) =>
            namespace(name, nsLabels),
          );
          const pods: PodJson[] = podSpecs.map((spec) =>
            pod(spec.name, {
              namespace: spec.namespace,
              labels: spec.labels,
              ...(spec.scheduled ? {} : { nodeName: "gone" }),
            }),
          );
          const config = scmConfig();
          const whole = declareEntries(state({ clusterSpiffeIds: resources, namespaces, pods }), config);
          for (const item of pods) {
            const uid = item.metadata?.uid ?? "";
            const scoped = declarePodEntries(
              {
                clusterSpiffeIds: resources,
                clusterStaticEntries: [],
                namespace: namespaces.find((ns) => ns.metadata?.name === item.metadata?.namespace),
                pod: item,
                node: item.spec?.nodeName === "node-a" ? node("node-a") : undefined,
                services: [],
              },
              config,
            );
            const inScope = inPodScope(uid);
            const expected = whole.entries.filter((key) => inScope(key.winner.entry.spec));
            const summary = (keys: readonly DeclaredKey[]) =>
              keys.map((key) => [key.key, key.winner.by.uid, key.masked.map((loser) => loser.by.uid)]).sort();
            expect(summary(scoped.entries)).toEqual(summary(expected));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a pod that is gone, or whose namespace is gone, declares nothing", () => {
    const config = scmConfig();
    const base = {
      clusterSpiffeIds: [clusterSpiffeId("all", { spiffeIDTemplate: NS_SA_TEMPLATE })],
      clusterStaticEntries: [],
      node: node("node-a"),
      services: [],
    };
    expect(
      declarePodEntries({ ...base, namespace: namespace("default"), pod: undefined }, config).entries,
    ).toEqual([]);
    expect(declarePodEntries({ ...base, namespace: undefined, pod: pod("web") }, config).entries).toEqual([]);
    expect(
      declarePodEntries({ ...base, namespace: namespace("default"), pod: pod("web") }, config).entries,
    ).toHaveLength(1);
  });
});
