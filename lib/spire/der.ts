/**
 * DER helpers for what the SPIFFE Workload API sends: certificate lists as plain concatenated
 * DER (no length prefix, no PEM), which node:tls cannot take directly.
 */

/**
 * Splits concatenated DER certificates into one buffer each by reading the outer ASN.1 SEQUENCE
 * header. Malformed input (truncated, not a SEQUENCE) is a result: it comes from another process.
 */
export function splitDerCertificates(
  der: Uint8Array,
): { ok: true; value: Uint8Array[] } | { ok: false; error: string } {
  const certificates: Uint8Array[] = [];
  let offset = 0;
  while (offset < der.length) {
    if (der[offset] !== 0x30) {
      return { ok: false, error: `byte ${offset}: expected an ASN.1 SEQUENCE (0x30), got ${der[offset]}` };
    }
    const header = readLength(der, offset + 1);
    if (!header) return { ok: false, error: `byte ${offset}: malformed ASN.1 length` };
    const end = header.contentStart + header.length;
    if (end > der.length) {
      return { ok: false, error: `byte ${offset}: certificate of ${header.length} bytes runs past the end` };
    }
    certificates.push(der.subarray(offset, end));
    offset = end;
  }
  return { ok: true, value: certificates };
}

/** The definite-length form only: DER forbids the indefinite form, and 4 length bytes cover 4 GiB. */
function readLength(der: Uint8Array, at: number): { length: number; contentStart: number } | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return { length: first, contentStart: at + 1 };
  const byteCount = first & 0x7f;
  if (byteCount === 0 || byteCount > 4 || at + byteCount >= der.length) return undefined;
  let length = 0;
  for (let i = 1; i <= byteCount; i++) length = length * 256 + (der[at + i] as number);
  return { length, contentStart: at + 1 + byteCount };
}

/** PEM armour around DER bytes, e.g. `toPem(der, "CERTIFICATE")`. */
export function toPem(der: Uint8Array, label: string): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
