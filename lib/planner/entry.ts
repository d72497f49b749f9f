/**
 * The registrar's domain model of a SPIRE registration entry, independent of protobuf.
 * `lib/spire` converts to and from the wire types; everything else speaks these types.
 * SPIFFE IDs are carried as canonical `spiffe://<td>/<path>` strings.
 */

/** A workload or node selector, e.g. `{ type: "k8s", value: "ns:default" }`. */
export interface Selector {
  readonly type: string;
  readonly value: string;
}

/** What the registrar wants an entry to be: everything that shapes the issued SVID. */
export interface EntrySpec {
  readonly spiffeId: string;
  readonly parentId: string;
  readonly selectors: readonly Selector[];
  /** In the order they go into the SVID: the first becomes the certificate's CN. */
  readonly dnsNames: readonly string[];
  /** Trust domain names. */
  readonly federatesWith: readonly string[];
  readonly admin: boolean;
  readonly downstream: boolean;
  /** Seconds; 0 means the server default. */
  readonly x509SvidTtl?: number;
  readonly jwtSvidTtl?: number;
  readonly hint?: string;
  /** Whether the SVID is stored in SPIRE (entry field `store_svid`); only cluster-spiffeid mode sets it. */
  readonly storeSvid?: boolean;
}

/** An entry to create: a spec, and the entry ID asked for when the registrar chooses it (else SPIRE does). */
export interface NewEntry extends EntrySpec {
  readonly id?: string;
}

/** An entry as it exists in SPIRE: a spec plus the server-assigned id and bookkeeping. */
export interface Entry extends EntrySpec {
  readonly id: string;
  readonly revisionNumber?: bigint;
  readonly createdAt?: bigint;
}
