/**
 * The SpiffeID custom resource (`spiffeids.spiffeid.spiffe.io/v1beta1`, namespaced, with a status
 * subresource), as the registrar reads and writes it. JSON field names are the CRD's, including
 * the two snake_case selector fields (`agent_node_uid`) the Go type used.
 */

export const SPIFFEID_GROUP = "spiffeid.spiffe.io";
export const SPIFFEID_VERSION = "v1beta1";
export const SPIFFEID_PLURAL = "spiffeids";
export const SPIFFEID_KIND = "SpiffeID";
export const SPIFFEID_API_VERSION = `${SPIFFEID_GROUP}/${SPIFFEID_VERSION}`;
/** Set on every SpiffeID so its SPIRE entry is deleted before the resource goes away. */
export const SPIFFEID_FINALIZER = "finalizers.spiffeid.spiffe.io";

/** `spec.selector`: each non-empty field becomes one or more SPIRE selectors (see selectors.ts). */
export interface SpiffeIdSelector {
  readonly podLabel?: Readonly<Record<string, string>>;
  readonly podName?: string;
  readonly podUid?: string;
  readonly namespace?: string;
  readonly serviceAccount?: string;
  readonly containerImage?: string;
  readonly containerName?: string;
  readonly nodeName?: string;
  readonly arbitrary?: readonly string[];
  readonly cluster?: string;
  readonly agent_node_uid?: string;
}

export interface SpiffeIdSpec {
  readonly parentId: string;
  readonly spiffeId: string;
  readonly selector: SpiffeIdSelector;
  readonly dnsNames?: readonly string[];
  readonly federatesWith?: readonly string[];
  readonly downstream?: boolean;
}

/** A standard Kubernetes condition; the registrar writes `Ready` (reason says why not). */
export interface SpiffeIdCondition {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: string;
  readonly observedGeneration?: number;
}

export interface SpiffeIdStatus {
  /** The id of the SPIRE entry this resource owns. */
  readonly entryId?: string;
  readonly conditions?: readonly SpiffeIdCondition[];
}

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface SpiffeId {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly uid?: string;
    readonly resourceVersion?: string;
    readonly generation?: number;
    readonly labels?: Readonly<Record<string, string>>;
    readonly finalizers?: readonly string[];
    readonly ownerReferences?: readonly OwnerReference[];
    readonly deletionTimestamp?: string;
  };
  readonly spec: SpiffeIdSpec;
  readonly status?: SpiffeIdStatus;
}
