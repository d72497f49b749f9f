/**
 * ClusterFederatedTrustDomain specs parsed as SCM v0.6.6 parses them (ParseClusterFederatedTrustDomainSpec,
 * go-spiffe's bundle parser over go-jose) and bundles converted as its bundleToAPI converts them
 * (golden/federated-trust-domains.json, scripts/scm-oracle). The test keys and certificates were generated
 * once for the file.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  bundleEndpointUrlError,
  parseClusterFederatedTrustDomainSpec,
  sameRelationship,
} from "../../../lib/scm/cluster-federated-trust-domain.js";
import { compareGoStrings } from "../../../lib/scm/go-text.js";

interface GoldenCase {
  readonly spec: unknown;
  readonly decodeError?: string;
  readonly parseError?: string;
  readonly relationship?: unknown;
}

const CASES = JSON.parse(
  readFileSync(new URL("./golden/federated-trust-domains.json", import.meta.url), "utf8"),
) as GoldenCase[];

function describeCase(spec: unknown): string {
  if (spec === null || typeof spec !== "object") return JSON.stringify(spec);
  const { trustDomainBundle, ...rest } = spec as Record<string, unknown>;
  return `${JSON.stringify(rest).slice(0, 100)}${typeof trustDomainBundle === "string" ? ` bundle ${trustDomainBundle.slice(0, 60)}` : ""}`;
}

function run(spec: unknown): Omit<GoldenCase, "spec"> {
  const parsed = parseClusterFederatedTrustDomainSpec(spec);
  if (!parsed.ok)
    return parsed.error.kind === "decode"
      ? { decodeError: parsed.error.message }
      : { parseError: parsed.error.message };
  const {
    trustDomain,
    bundleEndpointUrl,
    bundleEndpointProfile: profile,
    trustDomainBundle: bundle,
    bundleError,
  } = parsed.value;
  const base64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64");
  return {
    relationship: {
      trustDomain,
      bundleEndpointURL: bundleEndpointUrl,
      profile: profile.type,
      ...(profile.type === "https_spiffe" ? { endpointSPIFFEID: profile.endpointSpiffeId } : {}),
      ...(bundle === undefined
        ? {}
        : {
            bundle: {
              trustDomain: bundle.trustDomain,
              x509Authorities: bundle.x509Authorities.map((authority) => base64(authority.asn1)),
              jwtAuthorities: [...bundle.jwtAuthorities]
                .sort((a, b) => compareGoStrings(a.keyId, b.keyId))
                .map((authority) => ({ keyId: authority.keyId, publicKey: base64(authority.publicKey) })),
              refreshHint: String(bundle.refreshHint),
              sequenceNumber: String(bundle.sequenceNumber),
            },
          }),
      ...(bundleError === undefined ? {} : { bundleError }),
    },
  };
}

describe("ClusterFederatedTrustDomain parsing matches SCM's (golden/federated-trust-domains.json)", () => {
  it.each(CASES.map((test) => [describeCase(test.spec), test] as const))("%s", (_name, test) => {
    const { spec, ...expected } = test;
    expect(run(spec)).toEqual(expected);
  });
});

describe("federation relationship details", () => {
  it("compares trust domain, URL and profile, never the bundle", () => {
    const web = {
      trustDomain: "a.org",
      bundleEndpointUrl: "https://a.org",
      bundleEndpointProfile: { type: "https_web" } as const,
    };
    const spiffe = (id: string) => ({
      ...web,
      bundleEndpointProfile: { type: "https_spiffe" as const, endpointSpiffeId: id },
    });
    expect(sameRelationship(web, { ...web })).toBe(true);
    expect(sameRelationship(web, { ...web, bundleEndpointUrl: "https://a.org/" })).toBe(false);
    expect(sameRelationship(web, spiffe("spiffe://a.org/s"))).toBe(false);
    expect(sameRelationship(spiffe("spiffe://a.org/s"), spiffe("spiffe://a.org/s"))).toBe(true);
    expect(sameRelationship(spiffe("spiffe://a.org/s"), spiffe("spiffe://a.org/t"))).toBe(false);
  });

  it("bundle endpoint URL checks in SCM's order", () => {
    expect(bundleEndpointUrlError("https://user@[::1")).toBe(
      "parse \"https://user@[::1\": missing ']' in host",
    );
    expect(bundleEndpointUrlError("http://user@x")).toBe("scheme must be https");
  });
});
