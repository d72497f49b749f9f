/**
 * cluster-spiffeid mode's Kubernetes I/O: the objects lib/scm reads, as JSON (templates see Pods, Nodes and
 * their specs whole), the Services targeting each pod from EndpointSlices, and the status writes of SCM's
 * custom resources. Objects keep only `metadata` (without `managedFields`) and `spec`: no template needs a
 * status, and a 50,000-pod pass holds them all at once.
 */
import type { KubeCall } from "../k8s/errors.js";
import type { KubeClient } from "../k8s/kube-client.js";
import type { CustomResourceJson, KubeObjectJson, PodJson, ServiceRef } from "../scm/index.js";
import { shareFreshReads } from "./shared-reads.js";

export const SCM_GROUP_VERSION = "spire.spiffe.io/v1alpha1";

/** The plural (URL) names of SCM's three custom resources. */
export type ScmResource = "clusterspiffeids" | "clusterstaticentries" | "clusterfederatedtrustdomains";

/** The label an EndpointSlice names its Service with. */
const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface ScmCluster {
  listCustomResources(resource: ScmResource): Promise<CustomResourceJson[]>;
  getCustomResource(resource: ScmResource, name: string): Promise<CustomResourceJson | undefined>;
  listNamespaces(): Promise<KubeObjectJson[]>;
  getNamespace(name: string): Promise<KubeObjectJson | undefined>;
  listNodes(): Promise<KubeObjectJson[]>;
  getNode(name: string): Promise<KubeObjectJson | undefined>;
  /** Every pod, or those of one namespace, or (`nodeName`) those on one node. */
  listPods(scope?: { readonly namespace?: string; readonly nodeName?: string }): Promise<PodJson[]>;
  getPod(namespace: string, name: string): Promise<PodJson | undefined>;
  /**
   * The UIDs of every pod in the cluster (to prove a pod is gone), from a list that started after the call:
   * concurrent callers (a burst of deletions) share one list.
   */
  listPodUids(): Promise<Set<string>>;
  /**
   * The Services whose EndpointSlices target each pod (ready or not, terminating only when still ready), by
   * pod UID; all namespaces or one.
   */
  servicesByPodUid(namespace?: string): Promise<Map<string, ServiceRef[]>>;
  /** Replaces the `status` of a ClusterSPIFFEID or ClusterStaticEntry (merge patch of the status subresource). */
  writeStatus(resource: ScmResource, name: string, status: object): Promise<void>;
}

/** The fields of an EndpointSlice that name its Service and the pods it targets. */
export interface EndpointSliceJson {
  readonly metadata?: {
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>> | null;
  };
  readonly endpoints?:
    | readonly {
        readonly conditions?: { readonly ready?: boolean | null; readonly terminating?: boolean | null };
        readonly targetRef?: { readonly kind?: string; readonly uid?: string } | null;
      }[]
    | null;
}

export function createScmCluster(client: KubeClient, pageSize = 500): ScmCluster {
  const crPath = (resource: ScmResource) => `/apis/${SCM_GROUP_VERSION}/${resource}`;
  const one = encodeURIComponent;
  const inNamespace = (namespace: string | undefined) =>
    namespace === undefined ? "" : `/namespaces/${one(namespace)}`;

  async function list<T>(call: KubeCall, path: string, query?: Record<string, string>): Promise<T[]> {
    const keepStatus = path.startsWith("/apis/spire.spiffe.io/");
    const listed = await client.list<ObjectJson, T>(call, path, {
      pageSize,
      map: (item) => trimObject(item, keepStatus) as T,
      ...(query ? { query } : {}),
    });
    return listed.items;
  }
  async function get<T>(call: KubeCall, path: string): Promise<T | undefined> {
    const item = await client.get<ObjectJson>(call, path);
    return item === undefined
      ? undefined
      : (trimObject(item, path.startsWith("/apis/spire.spiffe.io/")) as T);
  }

  return shareFreshReads({
    listCustomResources: (resource) => list({ verb: "list", resource }, crPath(resource)),
    getCustomResource: (resource, name) =>
      get({ verb: "get", resource, name }, `${crPath(resource)}/${one(name)}`),
    listNamespaces: () => list({ verb: "list", resource: "namespaces" }, "/api/v1/namespaces"),
    getNamespace: (name) =>
      get({ verb: "get", resource: "namespaces", name }, `/api/v1/namespaces/${one(name)}`),
    listNodes: () => list({ verb: "list", resource: "nodes" }, "/api/v1/nodes"),
    getNode: (name) => get({ verb: "get", resource: "nodes", name }, `/api/v1/nodes/${one(name)}`),
    listPods: (scope = {}) =>
      list(
        { verb: "list", resource: "pods", ...(scope.namespace ? { namespace: scope.namespace } : {}) },
        `/api/v1${inNamespace(scope.namespace)}/pods`,
        scope.nodeName === undefined ? undefined : { fieldSelector: `spec.nodeName=${scope.nodeName}` },
      ),
    getPod: (namespace, name) =>
      get(
        { verb: "get", resource: "pods", namespace, name },
        `/api/v1/namespaces/${one(namespace)}/pods/${one(name)}`,
      ),
    async listPodUids() {
      const listed = await client.list<PodJson, string>({ verb: "list", resource: "pods" }, "/api/v1/pods", {
        pageSize,
        metadataOnly: true,
        map: (pod) => pod.metadata?.uid ?? "",
      });
      return new Set(listed.items);
    },
    async servicesByPodUid(namespace) {
      const slices = await client.list<EndpointSliceJson>(
        { verb: "list", resource: "endpointslices", ...(namespace ? { namespace } : {}) },
        `/apis/discovery.k8s.io/v1${inNamespace(namespace)}/endpointslices`,
        { pageSize },
      );
      return servicesByPodUidFromSlices(slices.items);
    },
    async writeStatus(resource, name, status) {
      await client.request(
        { verb: "patch", resource: `${resource}/status`, name },
        {
          method: "PATCH",
          path: `${crPath(resource)}/${one(name)}/status`,
          body: { status },
          contentType: "application/merge-patch+json",
        },
      );
    },
  });
}

/**
 * The Services whose EndpointSlices target each pod, by pod UID: ready or not, terminating only when still
 * ready (the pods the Endpoints controller, which SCM reads, lists). Slices without a Service name are skipped.
 */
export function servicesByPodUidFromSlices(slices: readonly EndpointSliceJson[]): Map<string, ServiceRef[]> {
  const byPod = new Map<string, ServiceRef[]>();
  for (const slice of slices) {
    const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
    const sliceNamespace = slice.metadata?.namespace ?? "";
    if (service === undefined || service === "") continue;
    for (const endpoint of slice.endpoints ?? []) {
      const target = endpoint.targetRef;
      if (target?.kind !== "Pod" || !target.uid) continue;
      if (endpoint.conditions?.terminating === true && endpoint.conditions.ready !== true) continue;
      const services = byPod.get(target.uid) ?? [];
      if (!services.some((ref) => ref.name === service && ref.namespace === sliceNamespace))
        services.push({ name: service, namespace: sliceNamespace });
      byPod.set(target.uid, services);
    }
  }
  return byPod;
}

type ObjectJson = KubeObjectJson & { readonly status?: unknown };

/**
 * An object as a pass holds it: `metadata` without managedFields, `spec`, and (custom resources, whose stored
 * status a pass compares) `status`.
 */
export function trimObject(item: ObjectJson, keepStatus: boolean): ObjectJson {
  const { managedFields: _, ...metadata } = (item.metadata ?? {}) as Record<string, unknown>;
  return {
    metadata,
    spec: item.spec,
    ...(keepStatus && item.status !== undefined ? { status: item.status } : {}),
  };
}
