/** cluster-spiffeid mode's --cluster-state file: held as the full pass holds the live objects. */
import { describe, expect, it } from "vitest";
import { parseScmClusterState, SCM_STATE_COMMAND } from "../../../lib/plan/scm-state-file.js";

const list = (...items: object[]) => JSON.stringify({ apiVersion: "v1", kind: "List", items });
const namespace = { apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } };
const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "node-uid" }, status: { x: 1 } };
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-1", namespace: "apps", uid: "u1", managedFields: [{ manager: "kubectl" }] },
  spec: { nodeName: "n1" },
  status: { phase: "Running" },
};
const clusterSpiffeId = (spec: object) => ({
  apiVersion: "spire.spiffe.io/v1alpha1",
  kind: "ClusterSPIFFEID",
  metadata: { name: "web", uid: "c1", managedFields: [] },
  spec,
  status: { stats: { podsSelected: 1 } },
});
const slice = (service: string | undefined, endpoints: object[]) => ({
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "s",
    namespace: "apps",
    ...(service ? { labels: { "kubernetes.io/service-name": service } } : {}),
  },
  endpoints,
});
const target = (uid: string) => ({ kind: "Pod", uid });

describe("parseScmClusterState", () => {
  it("sorts the kinds into what each pass reads, trimmed as the live reads trim them", () => {
    const cftd = {
      apiVersion: "spire.spiffe.io/v1alpha1",
      kind: "ClusterFederatedTrustDomain",
      metadata: { name: "a" },
      spec: { trustDomain: "a.org" },
    };
    const cse = { kind: "ClusterStaticEntry", metadata: { name: "s" }, spec: {}, status: { set: true } };
    const parsed = parseScmClusterState(
      list(namespace, node, pod, clusterSpiffeId({ spiffeIDTemplate: "x" }), cse, cftd),
      "s.json",
    );
    expect(parsed).toStrictEqual({
      ok: true,
      value: {
        cluster: {
          clusterSpiffeIds: [
            {
              metadata: { name: "web", uid: "c1" },
              spec: { spiffeIDTemplate: "x" },
              status: { stats: { podsSelected: 1 } },
            },
          ],
          clusterStaticEntries: [{ metadata: { name: "s" }, spec: {}, status: { set: true } }],
          namespaces: [{ metadata: { name: "apps" }, spec: undefined }],
          nodes: [{ metadata: { name: "n1", uid: "node-uid" }, spec: undefined }],
          pods: [{ metadata: { name: "web-1", namespace: "apps", uid: "u1" }, spec: { nodeName: "n1" } }],
          servicesByPodUid: new Map(),
        },
        clusterFederatedTrustDomains: [{ metadata: { name: "a" }, spec: { trustDomain: "a.org" } }],
        warnings: [],
      },
    });
  });

  it("finds the Services targeting each pod in EndpointSlices: ready or not, terminating only while ready", () => {
    const parsed = parseScmClusterState(
      list(
        namespace,
        slice("web", [
          { targetRef: target("u1"), conditions: { ready: false } },
          { targetRef: target("u2"), conditions: { ready: false, terminating: true } },
          { targetRef: target("u3"), conditions: { ready: true, terminating: true } },
          { targetRef: { kind: "Node", uid: "u4" } },
        ]),
        slice("web", [{ targetRef: target("u1") }]),
        slice(undefined, [{ targetRef: target("u5") }]),
      ),
      "s.json",
    );
    expect(parsed.ok && parsed.value.cluster.servicesByPodUid).toEqual(
      new Map([
        ["u1", [{ name: "web", namespace: "apps" }]],
        ["u3", [{ name: "web", namespace: "apps" }]],
      ]),
    );
  });

  it("warns about a kind the command left out that changes the plan, and about kinds it ignores", () => {
    const parsed = parseScmClusterState(
      list(pod, clusterSpiffeId({ autoPopulateDNSNames: true }), {
        kind: "Endpoints",
        metadata: { name: "e" },
      }),
      "s.json",
    );
    expect(parsed.ok && parsed.value.warnings).toEqual([
      `s.json lists no Namespace objects: no ClusterSPIFFEID selects any pod, and the plan deletes every pod entry (list them with: ${SCM_STATE_COMMAND})`,
      `s.json lists no Node objects: no pod entry renders (SCM needs each pod's node) (list them with: ${SCM_STATE_COMMAND})`,
      `s.json lists no EndpointSlice objects: autoPopulateDNSNames adds no Service DNS names (list them with: ${SCM_STATE_COMMAND})`,
      "s.json: 1 Endpoints object(s) ignored (cluster-spiffeid mode does not read them)",
    ]);
  });

  it("passes on the List's own errors", () => {
    expect(parseScmClusterState('{"items":[{}]}', "s.json")).toStrictEqual({
      ok: false,
      error: 's.json: items[0] has no "kind"',
    });
  });
});
