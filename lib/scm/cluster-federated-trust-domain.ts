/**
 * ClusterFederatedTrustDomain (spire.spiffe.io/v1alpha1): SCM's `ParseClusterFederatedTrustDomainSpec`, the
 * check of its admission webhook and reconciler, in its order and with its messages, giving the federation
 * relationship SCM sends to SPIRE (with the trust domain bundle in the API's form).
 */
import { parseSpiffeId, trustDomainFromString } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { SpecError } from "./cluster-spiffeid.js";
import { goQuote } from "./go-text.js";
import { parseGoUrl } from "./go-url.js";
import { collectFields, SpecFields } from "./spec-decode.js";
import { type ApiBundle, parseSpiffeBundle } from "./spiffe-bundle.js";

/** How SPIRE authenticates the bundle endpoint. */
export type BundleEndpointProfile =
  | { readonly type: "https_web" }
  | { readonly type: "https_spiffe"; readonly endpointSpiffeId: string };

/** A federation relationship as SCM declares it to SPIRE. */
export interface FederationRelationship {
  readonly trustDomain: string;
  readonly bundleEndpointUrl: string;
  readonly bundleEndpointProfile: BundleEndpointProfile;
  readonly trustDomainBundle: ApiBundle | undefined;
  /**
   * Set when the bundle parsed but cannot be converted for SPIRE (see ParsedBundle): SCM's webhook admits
   * the CR, and every create or update call that carries the relationship fails with this message.
   */
  readonly bundleError?: string;
}

/** Parses a ClusterFederatedTrustDomain `spec` as SCM does (webhook and reconciler alike). */
export function parseClusterFederatedTrustDomainSpec(
  spec: unknown,
): Result<FederationRelationship, SpecError> {
  const decoded = decodeSpec(spec);
  if (!decoded.ok) return fail({ kind: "decode", message: decoded.error });
  const fields = decoded.value;
  const trustDomain = trustDomainFromString(fields.trustDomain);
  if (!trustDomain.ok) return invalid(`invalid trustDomain value: ${trustDomain.error}`);
  const url = bundleEndpointUrlError(fields.bundleEndpointURL);
  if (url !== undefined) return invalid(`invalid bundleEndpointURL value: ${url}`);
  const profile = parseProfile(fields.profileType, fields.endpointSPIFFEID);
  if (!profile.ok) return invalid(profile.error);
  let trustDomainBundle: ApiBundle | undefined;
  let bundleError: string | undefined;
  if (fields.trustDomainBundle !== "") {
    const bundle = parseSpiffeBundle(trustDomain.value, fields.trustDomainBundle);
    if (!bundle.ok) return invalid(`invalid trustDomainBundle value: ${bundle.error}`);
    if ("bundle" in bundle.value) trustDomainBundle = bundle.value.bundle;
    else bundleError = bundle.value.apiError;
  }
  return ok({
    trustDomain: trustDomain.value,
    bundleEndpointUrl: fields.bundleEndpointURL,
    bundleEndpointProfile: profile.value,
    trustDomainBundle,
    ...(bundleError === undefined ? {} : { bundleError }),
  });
}

function invalid(message: string): Result<never, SpecError> {
  return fail({ kind: "invalid", message });
}

function decodeSpec(spec: unknown) {
  const reader = SpecFields.of(spec, "ClusterFederatedTrustDomain", "ClusterFederatedTrustDomainSpec");
  if (!reader.ok) return reader;
  const fields = reader.value;
  const profileFields = SpecFields.of(
    fields.raw("bundleEndpointProfile"),
    "ClusterFederatedTrustDomainSpec",
    "BundleEndpointProfile",
    "spec.bundleEndpointProfile",
  );
  if (!profileFields.ok) return profileFields;
  return collectFields({
    trustDomain: fields.string("trustDomain"),
    bundleEndpointURL: fields.string("bundleEndpointURL"),
    profileType: profileFields.value.string("type", "v1alpha1.BundleEndpointProfileType"),
    endpointSPIFFEID: profileFields.value.string("endpointSPIFFEID"),
    trustDomainBundle: fields.string("trustDomainBundle"),
    className: fields.string("className"),
  });
}

/** SCM's `ValidateBundleEndpointURL`: the reason the URL is unusable, or undefined. */
export function bundleEndpointUrlError(text: string): string | undefined {
  if (text === "") return "bundle endpoint URL is missing";
  const url = parseGoUrl(text);
  if (!url.ok) return url.error;
  if (url.value.scheme !== "https") return "scheme must be https";
  if (url.value.host === "") return "host must be specified";
  if (url.value.hasUserinfo) return "cannot contain userinfo";
  return undefined;
}

function parseProfile(type: string, endpointSpiffeId: string): Result<BundleEndpointProfile> {
  switch (type) {
    case "https_web":
      if (endpointSpiffeId !== "") {
        return fail(
          'invalid bundle endpoint profile endpointSPIFFEID value: not applicable to the "https_web" profile',
        );
      }
      return ok({ type });
    case "https_spiffe": {
      const id = parseSpiffeId(endpointSpiffeId);
      if (!id.ok) return fail(`invalid bundle endpoint profile endpointSPIFFEID value: ${id.error}`);
      return ok({ type, endpointSpiffeId });
    }
    default:
      return fail(`invalid bundle endpoint profile type value ${goQuote(type)}`);
  }
}

/**
 * Whether SPIRE's relationship already matches the declared one, as SCM decides an update: trust domain,
 * URL and profile (type and endpoint SPIFFE ID). The bundle is not compared, so a bundle change alone never
 * reaches SPIRE.
 */
export function sameRelationship(
  a: Pick<FederationRelationship, "trustDomain" | "bundleEndpointUrl" | "bundleEndpointProfile">,
  b: Pick<FederationRelationship, "trustDomain" | "bundleEndpointUrl" | "bundleEndpointProfile">,
): boolean {
  if (a.trustDomain !== b.trustDomain || a.bundleEndpointUrl !== b.bundleEndpointUrl) return false;
  const [x, y] = [a.bundleEndpointProfile, b.bundleEndpointProfile];
  if (x.type === "https_spiffe" && y.type === "https_spiffe")
    return x.endpointSpiffeId === y.endpointSpiffeId;
  return x.type === y.type;
}
