/**
 * Trust domain name validation as the SPIFFE spec (and go-spiffe's TrustDomainFromString) defines
 * it: lowercase letters, digits, `.`, `-` and `_`, non-empty. The messages are go-spiffe's, so
 * errors read the same as the Go registrar's `malformed trust domain: <reason>`.
 */

const TRUST_DOMAIN_CHARS = /^[a-z0-9._-]+$/;

/** The reason a trust domain name is invalid, or undefined when it is valid. */
export function trustDomainError(name: string): string | undefined {
  if (name === "") return "trust domain is missing";
  if (!TRUST_DOMAIN_CHARS.test(name)) {
    return "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores";
  }
  return undefined;
}
