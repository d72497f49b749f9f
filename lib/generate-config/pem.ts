/** PEM encoding (RFC 7468): base64 in 64-character lines between BEGIN/END labels, newline-terminated. */

/** Encode DER bytes as PEM with `label` (`CERTIFICATE`, `PRIVATE KEY`). */
export function toPem(der: ArrayBuffer | Uint8Array, label: string): string {
  const base64 = Buffer.from(der instanceof Uint8Array ? der : new Uint8Array(der)).toString("base64");
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}
