/**
 * Checking that a TLS peer is the SPIRE server of our trust domain. SPIRE server certificates name
 * the server by URI SAN (`spiffe://<td>/spire/server`) and carry no DNS SAN for the address the
 * registrar dials, so the SPIFFE ID replaces hostname verification.
 */

/** The SPIFFE ID every SPIRE server of `trustDomain` presents. */
export function spireServerId(trustDomain: string): string {
  return `spiffe://${trustDomain}/spire/server`;
}

/**
 * The URI SANs of a certificate, from Node's `subjectaltname` string
 * (`DNS:a, URI:spiffe://td/x`). Node quotes values containing separators; SPIFFE IDs never do.
 */
export function uriSans(subjectAltName: string | undefined): string[] {
  if (!subjectAltName) return [];
  return subjectAltName
    .split(", ")
    .filter((name) => name.startsWith("URI:"))
    .map((name) => name.slice("URI:".length));
}

/**
 * Whether a certificate's SANs make it `expectedId`. A SPIFFE SVID has exactly one URI SAN; a
 * certificate with several is refused rather than guessed about.
 */
export function hasSpiffeId(subjectAltName: string | undefined, expectedId: string): boolean {
  const uris = uriSans(subjectAltName);
  return uris.length === 1 && uris[0] === expectedId;
}
