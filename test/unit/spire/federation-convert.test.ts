import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import type { FederationRelationship } from "../../../lib/scm/cluster-federated-trust-domain.js";
import {
  federationRelationshipFromProto,
  federationRelationshipToProto,
} from "../../../lib/spire/federation-convert.js";
import { BundleSchema } from "../../../proto/gen/spire/api/types/bundle_pb.js";
import { FederationRelationshipSchema } from "../../../proto/gen/spire/api/types/federationrelationship_pb.js";

const web: FederationRelationship = {
  trustDomain: "web.test",
  bundleEndpointUrl: "https://web.test/bundle",
  bundleEndpointProfile: { type: "https_web" },
  trustDomainBundle: {
    trustDomain: "web.test",
    x509Authorities: [{ asn1: new Uint8Array([1, 2, 3]) }],
    jwtAuthorities: [{ keyId: "k1", publicKey: new Uint8Array([4, 5]) }],
    refreshHint: 300n,
    sequenceNumber: 7n,
  },
};

const spiffe: FederationRelationship = {
  trustDomain: "spiffe.test",
  bundleEndpointUrl: "https://spiffe.test:8443",
  bundleEndpointProfile: { type: "https_spiffe", endpointSpiffeId: "spiffe://spiffe.test/spire/server" },
  trustDomainBundle: undefined,
};

describe("federation relationship conversion", () => {
  it.each([
    ["https_web with a bundle", web],
    ["https_spiffe without a bundle", spiffe],
  ])("round-trips %s", (_name, relationship) => {
    expect(federationRelationshipFromProto(federationRelationshipToProto(relationship))).toEqual({
      ok: true,
      value: relationship,
    });
  });

  it("puts the profile in its oneof and sends no bundle when there is none", () => {
    expect(federationRelationshipToProto(web).bundleEndpointProfile.case).toBe("httpsWeb");
    const message = federationRelationshipToProto(spiffe);
    expect(message.bundleEndpointProfile).toMatchObject({
      case: "httpsSpiffe",
      value: { endpointSpiffeId: "spiffe://spiffe.test/spire/server" },
    });
    expect(message.trustDomainBundle).toBeUndefined();
  });

  it("drops taint flags and JWT key expiry, which SCM never sends", () => {
    const message = federationRelationshipToProto(web);
    message.trustDomainBundle = create(BundleSchema, {
      trustDomain: "web.test",
      x509Authorities: [{ asn1: new Uint8Array([1]), tainted: true }],
      jwtAuthorities: [{ keyId: "k", publicKey: new Uint8Array([2]), expiresAt: 99n, tainted: true }],
    });
    const back = federationRelationshipFromProto(message);
    expect(back.ok && back.value.trustDomainBundle).toEqual({
      trustDomain: "web.test",
      x509Authorities: [{ asn1: new Uint8Array([1]) }],
      jwtAuthorities: [{ keyId: "k", publicKey: new Uint8Array([2]) }],
      refreshHint: 0n,
      sequenceNumber: 0n,
    });
  });

  it("copies bundle bytes into plain Uint8Arrays (a decoded response may hold Buffer views)", () => {
    const message = federationRelationshipToProto(web);
    message.trustDomainBundle = create(BundleSchema, {
      trustDomain: "web.test",
      x509Authorities: [{ asn1: Buffer.from([1]) }],
      jwtAuthorities: [{ keyId: "k", publicKey: Buffer.from([2]) }],
    });
    const bundle = federationRelationshipFromProto(message);
    const bytes = bundle.ok
      ? [
          bundle.value.trustDomainBundle?.x509Authorities[0]?.asn1,
          bundle.value.trustDomainBundle?.jwtAuthorities[0]?.publicKey,
        ]
      : [];
    expect(bytes.map((b) => b?.constructor === Uint8Array)).toEqual([true, true]);
  });

  it("refuses a relationship without a profile, as SCM does", () => {
    const message = create(FederationRelationshipSchema, {
      trustDomain: "x.test",
      bundleEndpointUrl: "https://x",
    });
    expect(federationRelationshipFromProto(message)).toEqual({
      ok: false,
      error: "bundle endpoint profile is missing",
    });
  });
});
