/**
 * Federation relationships (lib/scm's domain type, as spire-controller-manager declares them) to and from
 * the SPIRE TrustDomain API's wire types. Like entry conversion, nothing is validated on the way out: a bad
 * URL or SPIFFE ID goes to the server as-is and comes back as that item's InvalidArgument.
 */
import { create } from "@bufbuild/protobuf";
import type { Bundle as BundleMessage } from "../../proto/gen/spire/api/types/bundle_pb.js";
import {
  BundleSchema,
  JWTKeySchema,
  X509CertificateSchema,
} from "../../proto/gen/spire/api/types/bundle_pb.js";
import type { FederationRelationship as FederationRelationshipMessage } from "../../proto/gen/spire/api/types/federationrelationship_pb.js";
import {
  FederationRelationshipSchema,
  HTTPSSPIFFEProfileSchema,
  HTTPSWebProfileSchema,
} from "../../proto/gen/spire/api/types/federationrelationship_pb.js";
import type { BundleEndpointProfile, FederationRelationship } from "../scm/cluster-federated-trust-domain.js";
import type { ApiBundle } from "../scm/spiffe-bundle.js";
import { fail, ok, type Result } from "../spiffe/result.js";

/**
 * A relationship as a create or update item: the profile in its oneof, the bundle only when there is one
 * (as spire-controller-manager sends it; SPIRE then keeps the bundle it holds).
 */
export function federationRelationshipToProto(
  relationship: FederationRelationship,
): FederationRelationshipMessage {
  return create(FederationRelationshipSchema, {
    trustDomain: relationship.trustDomain,
    bundleEndpointUrl: relationship.bundleEndpointUrl,
    bundleEndpointProfile: profileToProto(relationship.bundleEndpointProfile),
    ...(relationship.trustDomainBundle && {
      trustDomainBundle: bundleToProto(relationship.trustDomainBundle),
    }),
  });
}

function profileToProto(
  profile: BundleEndpointProfile,
): FederationRelationshipMessage["bundleEndpointProfile"] {
  return profile.type === "https_web"
    ? { case: "httpsWeb", value: create(HTTPSWebProfileSchema) }
    : {
        case: "httpsSpiffe",
        value: create(HTTPSSPIFFEProfileSchema, { endpointSpiffeId: profile.endpointSpiffeId }),
      };
}

/** A bundle in the API's form as its wire message. */
export function bundleToProto(bundle: ApiBundle): BundleMessage {
  return create(BundleSchema, {
    trustDomain: bundle.trustDomain,
    x509Authorities: bundle.x509Authorities.map((authority) =>
      create(X509CertificateSchema, { asn1: authority.asn1 }),
    ),
    jwtAuthorities: bundle.jwtAuthorities.map((key) =>
      create(JWTKeySchema, { keyId: key.keyId, publicKey: key.publicKey }),
    ),
    refreshHint: bundle.refreshHint,
    sequenceNumber: bundle.sequenceNumber,
  });
}

/**
 * A wire relationship as the domain type. The only failure is a relationship without a profile, which
 * SPIRE never sends unless asked to leave it out (spire-controller-manager fails its whole list then, with
 * the same message).
 */
export function federationRelationshipFromProto(
  message: FederationRelationshipMessage,
): Result<FederationRelationship> {
  const profile = profileFromProto(message.bundleEndpointProfile);
  if (profile === undefined) return fail("bundle endpoint profile is missing");
  return ok({
    trustDomain: message.trustDomain,
    bundleEndpointUrl: message.bundleEndpointUrl,
    bundleEndpointProfile: profile,
    trustDomainBundle: message.trustDomainBundle && bundleFromProto(message.trustDomainBundle),
  });
}

function profileFromProto(
  profile: FederationRelationshipMessage["bundleEndpointProfile"],
): BundleEndpointProfile | undefined {
  switch (profile.case) {
    case "httpsWeb":
      return { type: "https_web" };
    case "httpsSpiffe":
      return { type: "https_spiffe", endpointSpiffeId: profile.value.endpointSpiffeId };
    default:
      return undefined;
  }
}

/**
 * A wire bundle in the API's form; taint flags and JWT key expiry, which SCM never sends, are dropped.
 * The bytes are copied: a decoded message may hold Node Buffer views of the whole response, which would
 * keep it alive and compare unequal to plain Uint8Arrays.
 */
export function bundleFromProto(message: BundleMessage): ApiBundle {
  return {
    trustDomain: message.trustDomain,
    x509Authorities: message.x509Authorities.map((authority) => ({ asn1: new Uint8Array(authority.asn1) })),
    jwtAuthorities: message.jwtAuthorities.map((key) => ({
      keyId: key.keyId,
      publicKey: new Uint8Array(key.publicKey),
    })),
    refreshHint: message.refreshHint,
    sequenceNumber: message.sequenceNumber,
  };
}
