/**
 * The in-memory datastore behind the fake SPIRE TrustDomain service. It follows the real server's
 * observable rules (spire-server 1.13, checked by test/component/spire/trust-domain-contract.ts against
 * both): every item is converted and checked whole, even under an update mask; a relationship with the
 * server's own trust domain cannot be created; creating an existing trust domain fails with Internal (a
 * datastore uniqueness failure, not AlreadyExists), updating a missing one with Internal ("record not
 * found"), deleting a missing one with NotFound. Bundles live apart from relationships, as in SPIRE: a
 * relationship written with a bundle replaces that trust domain's bundle, one written without keeps it,
 * and deleting the relationship keeps it too. Listing pages like the entry store (the token is the last
 * row; the final request gets an empty page and an empty token), except that a listed relationship always
 * carries its bundle, where spire-server may leave it out on pages after the first (see
 * lib/spire/trust-domain-client.ts). URLs are stored as sent (SPIRE stores Go's re-serialization).
 */
import { createPublicKey, X509Certificate } from "node:crypto";
import { clone, create } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { parseGoUrl } from "../../lib/scm/go-url.js";
import { parseSpiffeId, trustDomainFromString } from "../../lib/spiffe/id.js";
import type {
  BatchCreateFederationRelationshipResponse_Result,
  BatchDeleteFederationRelationshipResponse_Result,
  BatchUpdateFederationRelationshipResponse_Result,
} from "../../proto/gen/spire/api/server/trustdomain/v1/trustdomain_pb.js";
import {
  BatchCreateFederationRelationshipResponse_ResultSchema,
  BatchDeleteFederationRelationshipResponse_ResultSchema,
  BatchUpdateFederationRelationshipResponse_ResultSchema,
} from "../../proto/gen/spire/api/server/trustdomain/v1/trustdomain_pb.js";
import type { Bundle } from "../../proto/gen/spire/api/types/bundle_pb.js";
import { BundleSchema } from "../../proto/gen/spire/api/types/bundle_pb.js";
import type {
  FederationRelationshipMask,
  FederationRelationship as RelationshipMessage,
} from "../../proto/gen/spire/api/types/federationrelationship_pb.js";
import { FederationRelationshipSchema } from "../../proto/gen/spire/api/types/federationrelationship_pb.js";
import type { Status } from "../../proto/gen/spire/api/types/status_pb.js";
import { StatusSchema } from "../../proto/gen/spire/api/types/status_pb.js";
import { StoreRpcError } from "./spire-entry-store.js";

export interface FederationStoreOptions {
  /** The server's own trust domain, which no relationship may name. */
  readonly trustDomain: string;
  /** Called whenever a trust domain's bundle is stored (entries may then federate with it). */
  readonly onBundle?: (trustDomain: string) => void;
}

interface Row {
  readonly row: number;
  /** Stored without its bundle: the bundle is looked up when the relationship is read. */
  relationship: RelationshipMessage;
}

const ok = (): Status => create(StatusSchema, { code: 0, message: "OK" });
const status = (code: Code, message: string): Status => create(StatusSchema, { code, message });

/** An in-memory SPIRE federation relationship datastore with the server's per-item semantics. */
export class FederationStore {
  /** By trust domain name, in insertion order (row order). */
  private readonly rows = new Map<string, Row>();
  /** Bundles by trust domain name; they outlive relationships, as SPIRE's do. */
  private readonly bundles = new Map<string, Bundle>();
  private nextRow = 1;

  constructor(private readonly options: FederationStoreOptions) {}

  /** Every relationship in row order, with its trust domain's bundle (copies). */
  all(): RelationshipMessage[] {
    return [...this.rows.values()].map((row) => this.withBundle(row.relationship));
  }

  /** Stores a trust domain's bundle directly, as `spire-server bundle set` does. */
  setBundle(bundle: Bundle): void {
    const trustDomain = trustDomainFromString(bundle.trustDomain);
    if (!trustDomain.ok) throw new Error(`bad bundle trust domain: ${trustDomain.error}`);
    this.bundles.set(trustDomain.value, clone(BundleSchema, { ...bundle, trustDomain: trustDomain.value }));
    this.options.onBundle?.(trustDomain.value);
  }

  /** A page of relationships after `pageToken`; pageSize <= 0 returns everything with no token. */
  list(
    pageSize: number,
    pageToken: string,
    mask: FederationRelationshipMask | undefined,
  ): { federationRelationships: RelationshipMessage[]; nextPageToken: string } {
    let rows = [...this.rows.values()];
    const read = (row: Row) => applyMask(this.withBundle(row.relationship), mask);
    if (pageSize <= 0) return { federationRelationships: rows.map(read), nextPageToken: "" };
    if (pageToken !== "") {
      const after = Number(pageToken);
      if (!Number.isInteger(after)) throw new StoreRpcError(Code.InvalidArgument, "could not parse token");
      rows = rows.filter((r) => r.row > after);
    }
    const page = rows.slice(0, pageSize);
    const last = page.at(-1);
    return { federationRelationships: page.map(read), nextPageToken: last ? String(last.row) : "" };
  }

  get(trustDomainName: string, mask: FederationRelationshipMask | undefined): RelationshipMessage {
    const trustDomain = trustDomainFromString(trustDomainName);
    if (!trustDomain.ok)
      throw new StoreRpcError(Code.InvalidArgument, `failed to parse trust domain: ${trustDomain.error}`);
    const row = this.rows.get(trustDomain.value);
    if (!row) throw new StoreRpcError(Code.NotFound, "federation relationship does not exist");
    return applyMask(this.withBundle(row.relationship), mask);
  }

  create(
    input: RelationshipMessage,
    mask: FederationRelationshipMask | undefined,
  ): BatchCreateFederationRelationshipResponse_Result {
    const result = (s: Status, relationship?: RelationshipMessage) =>
      create(BatchCreateFederationRelationshipResponse_ResultSchema, {
        status: s,
        ...(relationship && { federationRelationship: applyMask(relationship, mask) }),
      });
    const converted = convert(input);
    if (!converted.ok)
      return result(
        status(Code.InvalidArgument, `failed to convert federation relationship: ${converted.error}`),
      );
    const relationship = converted.value;
    if (relationship.trustDomain === this.options.trustDomain) {
      return result(
        status(Code.InvalidArgument, "unable to create federation relationship for server trust domain"),
      );
    }
    if (this.rows.has(relationship.trustDomain)) {
      return result(
        status(
          Code.Internal,
          "failed to create federation relationship: datastore-sql: UNIQUE constraint failed: federated_trust_domains.trust_domain",
        ),
      );
    }
    if (relationship.trustDomainBundle) this.setBundle(relationship.trustDomainBundle);
    this.rows.set(relationship.trustDomain, {
      row: this.nextRow++,
      relationship: withoutBundle(relationship),
    });
    // Create answers with what was written: the bundle only when one was sent.
    return result(ok(), relationship);
  }

  update(
    input: RelationshipMessage,
    inputMask: FederationRelationshipMask | undefined,
    outputMask: FederationRelationshipMask | undefined,
  ): BatchUpdateFederationRelationshipResponse_Result {
    const result = (s: Status, relationship?: RelationshipMessage) =>
      create(BatchUpdateFederationRelationshipResponse_ResultSchema, {
        status: s,
        ...(relationship && { federationRelationship: applyMask(relationship, outputMask) }),
      });
    // SPIRE converts (and so checks) the whole relationship whatever the input mask.
    const converted = convert(input);
    if (!converted.ok)
      return result(
        status(Code.InvalidArgument, `failed to convert federation relationship: ${converted.error}`),
      );
    const relationship = converted.value;
    const row = this.rows.get(relationship.trustDomain);
    if (!row) {
      return result(
        status(
          Code.Internal,
          "failed to update federation relationship: unable to fetch federation relationship: record not found",
        ),
      );
    }
    const all = inputMask === undefined;
    const updated = clone(FederationRelationshipSchema, row.relationship);
    if (all || inputMask.bundleEndpointUrl) updated.bundleEndpointUrl = relationship.bundleEndpointUrl;
    if (all || inputMask.bundleEndpointProfile)
      updated.bundleEndpointProfile = relationship.bundleEndpointProfile;
    if ((all || inputMask.trustDomainBundle) && relationship.trustDomainBundle)
      this.setBundle(relationship.trustDomainBundle);
    row.relationship = updated;
    // Update answers with the stored relationship, and the trust domain's bundle whatever was sent.
    return result(ok(), this.withBundle(updated));
  }

  delete(name: string): BatchDeleteFederationRelationshipResponse_Result {
    const result = (s: Status, trustDomain: string) =>
      create(BatchDeleteFederationRelationshipResponse_ResultSchema, { status: s, trustDomain });
    if (name === "") return result(status(Code.InvalidArgument, "missing trust domain"), name);
    const trustDomain = trustDomainFromString(name);
    if (!trustDomain.ok)
      return result(status(Code.InvalidArgument, `failed to parse trust domain: ${trustDomain.error}`), name);
    if (!this.rows.delete(trustDomain.value))
      return result(status(Code.NotFound, "federation relationship not found"), trustDomain.value);
    return result(ok(), trustDomain.value);
  }

  /** RefreshBundle: the fake fetches nothing, but answers an unknown trust domain as SPIRE does. */
  refreshBundle(name: string): void {
    const trustDomain = trustDomainFromString(name);
    if (!trustDomain.ok)
      throw new StoreRpcError(Code.InvalidArgument, `failed to parse trust domain: ${trustDomain.error}`);
    if (!this.rows.has(trustDomain.value))
      throw new StoreRpcError(Code.NotFound, `no relationship with trust domain "${trustDomain.value}"`);
  }

  private withBundle(relationship: RelationshipMessage): RelationshipMessage {
    const copy = clone(FederationRelationshipSchema, relationship);
    const bundle = this.bundles.get(relationship.trustDomain);
    if (bundle) copy.trustDomainBundle = clone(BundleSchema, bundle);
    return copy;
  }
}

type Converted = { ok: true; value: RelationshipMessage } | { ok: false; error: string };

/**
 * SPIRE's ProtoToFederationRelationship: the trust domain, URL, profile and bundle checks in its order
 * with its messages (a certificate or JWT key that does not parse gets a generic reason). The result has
 * the trust domain (and the bundle's) as a plain name.
 */
function convert(input: RelationshipMessage): Converted {
  const trustDomain = trustDomainFromString(input.trustDomain);
  if (!trustDomain.ok) return { ok: false, error: `failed to parse trust domain: ${trustDomain.error}` };
  const url = urlError(input.bundleEndpointUrl);
  if (url) return { ok: false, error: url };
  const profile = input.bundleEndpointProfile;
  if (profile.case === "httpsSpiffe") {
    const id = parseSpiffeId(profile.value.endpointSpiffeId);
    if (!id.ok) return { ok: false, error: `failed to parse endpoint SPIFFE ID: ${id.error}` };
  } else if (profile.case !== "httpsWeb") {
    return { ok: false, error: "unsupported bundle endpoint profile type: <nil>" };
  }
  const copy = clone(FederationRelationshipSchema, input);
  copy.trustDomain = trustDomain.value;
  if (input.trustDomainBundle) {
    const bundle = bundleError(input.trustDomainBundle);
    if (bundle) return { ok: false, error: `failed to parse bundle: ${bundle}` };
    const bundleTrustDomain = trustDomainFromString(input.trustDomainBundle.trustDomain);
    if (bundleTrustDomain.ok && bundleTrustDomain.value !== trustDomain.value) {
      return {
        ok: false,
        error: `trust domain bundle ("${input.trustDomainBundle.trustDomain}") must match the trust domain of the federation relationship ("${trustDomain.value}")`,
      };
    }
    if (copy.trustDomainBundle) copy.trustDomainBundle.trustDomain = trustDomain.value;
  }
  return { ok: true, value: copy };
}

function urlError(text: string): string | undefined {
  const url = parseGoUrl(text);
  if (!url.ok) return `failed to parse bundle endpoint URL: ${url.error}`;
  if (url.value.scheme !== "https") return "bundle endpoint URL must use the https scheme";
  if (url.value.host === "") return "bundle endpoint URL must specify the host";
  if (url.value.hasUserinfo) return "bundle endpoint URL must not contain user info";
  return undefined;
}

/** SPIRE's ProtoToBundle: the trust domain, each X.509 authority and each JWT authority must parse. */
function bundleError(bundle: Bundle): string | undefined {
  const trustDomain = trustDomainFromString(bundle.trustDomain);
  if (!trustDomain.ok) return `invalid trust domain: ${trustDomain.error}`;
  for (const authority of bundle.x509Authorities) {
    try {
      new X509Certificate(authority.asn1);
    } catch {
      return "unable to parse X.509 authority: x509: malformed certificate";
    }
  }
  for (const key of bundle.jwtAuthorities) {
    try {
      createPublicKey({ key: Buffer.from(key.publicKey), format: "der", type: "spki" });
    } catch {
      return "unable to parse JWT authority: x509: malformed public key";
    }
    if (key.keyId === "") return "unable to parse JWT authority: missing key ID";
  }
  return undefined;
}

function withoutBundle(relationship: RelationshipMessage): RelationshipMessage {
  const copy = clone(FederationRelationshipSchema, relationship);
  copy.trustDomainBundle = undefined;
  return copy;
}

/** A copy with only the masked fields (the trust domain always); nil mask = everything. */
function applyMask(
  relationship: RelationshipMessage,
  mask: FederationRelationshipMask | undefined,
): RelationshipMessage {
  const copy = clone(FederationRelationshipSchema, relationship);
  if (!mask) return copy;
  const out = create(FederationRelationshipSchema, { trustDomain: copy.trustDomain });
  if (mask.bundleEndpointUrl) out.bundleEndpointUrl = copy.bundleEndpointUrl;
  if (mask.bundleEndpointProfile) out.bundleEndpointProfile = copy.bundleEndpointProfile;
  if (mask.trustDomainBundle) out.trustDomainBundle = copy.trustDomainBundle;
  return out;
}
