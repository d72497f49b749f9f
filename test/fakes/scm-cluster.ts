/**
 * An in-memory ScmCluster (lib/scm-sync/cluster.ts) for component tests of cluster-spiffeid mode: the
 * objects are plain arrays the test edits, every read is counted by method, and status writes are kept.
 */

import type { CustomResourceJson, KubeObjectJson, PodJson, ServiceRef } from "../../lib/scm/index.js";
import type { ScmCluster, ScmResource } from "../../lib/scm-sync/cluster.js";

export interface FakeScmCluster extends ScmCluster {
  readonly resources: Record<ScmResource, CustomResourceJson[]>;
  namespaces: KubeObjectJson[];
  nodes: KubeObjectJson[];
  pods: PodJson[];
  /** Services by pod UID (what EndpointSlices would give). */
  services: Map<string, ServiceRef[]>;
  /** Reads and writes by method name. */
  readonly calls: Map<string, number>;
  readonly statusWrites: { resource: ScmResource; name: string; status: object }[];
}

export function fakeScmCluster(): FakeScmCluster {
  const calls = new Map<string, number>();
  const count = (method: string) => calls.set(method, (calls.get(method) ?? 0) + 1);
  const nameOf = (object: KubeObjectJson) => object.metadata?.name ?? "";
  const cluster: FakeScmCluster = {
    resources: { clusterspiffeids: [], clusterstaticentries: [], clusterfederatedtrustdomains: [] },
    namespaces: [],
    nodes: [],
    pods: [],
    services: new Map(),
    calls,
    statusWrites: [],
    async listCustomResources(resource) {
      count("listCustomResources");
      return [...cluster.resources[resource]];
    },
    async getCustomResource(resource, name) {
      count("getCustomResource");
      return cluster.resources[resource].find((item) => item.metadata?.name === name);
    },
    async listNamespaces() {
      count("listNamespaces");
      return [...cluster.namespaces];
    },
    async getNamespace(name) {
      count("getNamespace");
      return cluster.namespaces.find((item) => nameOf(item) === name);
    },
    async listNodes() {
      count("listNodes");
      return [...cluster.nodes];
    },
    async getNode(name) {
      count("getNode");
      return cluster.nodes.find((item) => nameOf(item) === name);
    },
    async listPods(scope = {}) {
      count("listPods");
      return cluster.pods.filter(
        (pod) =>
          (scope.namespace === undefined || pod.metadata?.namespace === scope.namespace) &&
          (scope.nodeName === undefined || pod.spec?.nodeName === scope.nodeName),
      );
    },
    async getPod(namespace, name) {
      count("getPod");
      return cluster.pods.find((pod) => pod.metadata?.namespace === namespace && nameOf(pod) === name);
    },
    async listPodUids() {
      count("listPodUids");
      return new Set(cluster.pods.map((pod) => pod.metadata?.uid ?? ""));
    },
    async servicesByPodUid() {
      count("servicesByPodUid");
      return new Map(cluster.services);
    },
    async writeStatus(resource, name, status) {
      count("writeStatus");
      cluster.statusWrites.push({ resource, name, status });
      const stored = cluster.resources[resource].find((item) => item.metadata?.name === name);
      if (stored !== undefined) (stored as { status?: unknown }).status = status;
    },
  };
  return cluster;
}
