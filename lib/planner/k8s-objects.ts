/**
 * The narrow, JSON-shaped views of Kubernetes objects the planner reads. `lib/k8s` maps API objects to these;
 * every field is optional because the API (and admission payloads) may omit any of them.
 */
import type { ServiceEndpoints } from "./service-endpoints.js";

/** `metadata` fields the planner reads. */
export interface ObjectMeta {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** RFC 3339 time; set once graceful deletion has started. */
  readonly deletionTimestamp?: string;
}

/** A core/v1 Pod. */
export interface Pod {
  readonly metadata?: ObjectMeta;
  readonly spec?: {
    readonly nodeName?: string;
    readonly serviceAccountName?: string;
    readonly hostname?: string;
    readonly subdomain?: string;
  };
  readonly status?: {
    /** Pending, Running, Succeeded, Failed or Unknown. */
    readonly phase?: string;
    readonly podIP?: string;
    readonly podIPs?: readonly { readonly ip?: string }[];
  };
}

/** A core/v1 Node. */
export interface Node {
  readonly metadata?: Pick<ObjectMeta, "name" | "uid" | "annotations">;
}

/** A reference from an endpoint to the object serving it (normally a Pod). */
export interface ObjectReference {
  readonly kind?: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
}

/** One address of an Endpoints subset. */
export interface EndpointAddress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly targetRef?: ObjectReference;
}

/** A core/v1 Endpoints object. */
export interface Endpoints {
  readonly metadata?: Pick<ObjectMeta, "name" | "namespace">;
  readonly subsets?: readonly {
    readonly addresses?: readonly EndpointAddress[];
    readonly notReadyAddresses?: readonly EndpointAddress[];
  }[];
}

/** One endpoint of an EndpointSlice. */
export interface EndpointSliceEndpoint {
  /** The endpoint's addresses, of the slice's address type (the API allows 1 to 100; in practice one). */
  readonly addresses?: readonly string[];
  readonly conditions?: {
    /** Unset means ready. */
    readonly ready?: boolean;
    readonly terminating?: boolean;
  };
  readonly hostname?: string;
  readonly targetRef?: ObjectReference;
}

/** A discovery.k8s.io/v1 EndpointSlice. */
export interface EndpointSlice {
  readonly metadata?: Pick<ObjectMeta, "name" | "namespace" | "labels">;
  /** IPv4, IPv6 or FQDN. */
  readonly addressType?: string;
  readonly endpoints?: readonly EndpointSliceEndpoint[];
}

/** Everything a full derivation reads: a consistent-enough snapshot of the cluster. */
export interface ClusterSnapshot {
  readonly pods: readonly Pod[];
  readonly nodes: readonly Node[];
  /** The Services' endpoints, from EndpointSlices or Endpoints (service-endpoints.ts). */
  readonly endpoints: readonly ServiceEndpoints[];
}
