/**
 * A fresh ECDSA P-256 key and a PKCS#10 request for the webhook's names, as the Go registrar made
 * them for SPIRE's MintX509SVID (which takes the SPIFFE ID from the URI SAN and copies the DNS SANs).
 */
import type { webcrypto } from "node:crypto";
import { loadX509 } from "../generate-config/load-x509.js";
import { toPem } from "../generate-config/pem.js";
import type { WebhookSvidIdentity } from "./identity.js";

const KEY_ALGORITHM = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGNING_ALGORITHM = { name: "ECDSA", hash: "SHA-256" } as const;

export interface WebhookCsr {
  readonly csrDer: Uint8Array;
  /** PKCS#8 `PRIVATE KEY` PEM of the key the CSR was signed with. */
  readonly privateKeyPem: string;
}

/** Generates the key and the CSR; `crypto` supplies the key and the signature. */
export async function createWebhookCsr(
  identity: WebhookSvidIdentity,
  crypto: webcrypto.Crypto = globalThis.crypto,
): Promise<WebhookCsr> {
  const x509 = await loadX509();
  const keys = (await crypto.subtle.generateKey(KEY_ALGORITHM, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const names = [
    { type: "url" as const, value: identity.spiffeId },
    ...identity.dnsNames.map((value) => ({ type: "dns" as const, value })),
  ];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    {
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [new x509.SubjectAlternativeNameExtension(names)],
    },
    crypto,
  );
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { csrDer: new Uint8Array(csr.rawData), privateKeyPem: toPem(pkcs8, "PRIVATE KEY") };
}
