/**
 * The Kubernetes collections the event bridge can watch, each across all namespaces. They are read
 * as raw JSON, so Resource-mode events carry the objects exactly as the API server serves them, the
 * way the Knative adapter's unstructured client does.
 */

/** One watched collection. `apiVersion` and `kind` are stamped on list items, which lack them. */
export interface WatchedResource {
  readonly name: ResourceName;
  readonly apiVersion: string;
  readonly kind: string;
  /** The collection across all namespaces, e.g. `/api/v1/pods` (list and watch). */
  readonly path: string;
}

export type ResourceName =
  | "pods"
  | "nodes"
  | "endpointslices"
  | "endpoints"
  | "spiffeids"
  | "namespaces"
  | "clusterspiffeids"
  | "clusterstaticentries"
  | "clusterfederatedtrustdomains";

/**
 * The resources the registrar's functions react to (spiffeids only in crd mode; namespaces and SCM's three
 * custom resources only in cluster-spiffeid mode).
 */
export const WATCHED_RESOURCES: Readonly<Record<ResourceName, WatchedResource>> = {
  pods: { name: "pods", apiVersion: "v1", kind: "Pod", path: "/api/v1/pods" },
  nodes: { name: "nodes", apiVersion: "v1", kind: "Node", path: "/api/v1/nodes" },
  endpointslices: {
    name: "endpointslices",
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    path: "/apis/discovery.k8s.io/v1/endpointslices",
  },
  endpoints: { name: "endpoints", apiVersion: "v1", kind: "Endpoints", path: "/api/v1/endpoints" },
  spiffeids: {
    name: "spiffeids",
    apiVersion: "spiffeid.spiffe.io/v1beta1",
    kind: "SpiffeID",
    path: "/apis/spiffeid.spiffe.io/v1beta1/spiffeids",
  },
  namespaces: { name: "namespaces", apiVersion: "v1", kind: "Namespace", path: "/api/v1/namespaces" },
  clusterspiffeids: scmResource("clusterspiffeids", "ClusterSPIFFEID"),
  clusterstaticentries: scmResource("clusterstaticentries", "ClusterStaticEntry"),
  clusterfederatedtrustdomains: scmResource("clusterfederatedtrustdomains", "ClusterFederatedTrustDomain"),
};

function scmResource(name: ResourceName, kind: string): WatchedResource {
  return {
    name,
    apiVersion: "spire.spiffe.io/v1alpha1",
    kind,
    path: `/apis/spire.spiffe.io/v1alpha1/${name}`,
  };
}

/**
 * What cluster-spiffeid mode reacts to: Pods (their entries), Nodes (parent IDs), Namespaces (selectors),
 * EndpointSlices (Services' DNS names) and SCM's three custom resources.
 */
export const CLUSTER_SPIFFEID_RESOURCES = [
  "pods",
  "nodes",
  "namespaces",
  "endpointslices",
  "clusterspiffeids",
  "clusterstaticentries",
  "clusterfederatedtrustdomains",
] as const satisfies readonly ResourceName[];
