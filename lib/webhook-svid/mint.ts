/**
 * Mints the webhook's serving certificate from SPIRE's SVID API: a new key and CSR, MintX509SVID
 * (the client retries transient failures), and the chain as PEM. The two failure messages are the
 * Go registrar's (`unable to make Mint SVID Request: ...`, `no certificates in Mint SVID Response`).
 */
import type { webcrypto } from "node:crypto";
import { createSecureContext } from "node:tls";
import { loadX509 } from "../generate-config/load-x509.js";
import { toPem } from "../generate-config/pem.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { SpireClient } from "../spire/client.js";
import { createWebhookCsr } from "./csr.js";
import type { WebhookSvidIdentity } from "./identity.js";

/** A serving certificate ready to write: the chain (leaf first) and its key, with the leaf's validity. */
export interface WebhookCertificate {
  readonly certChainPem: string;
  readonly privateKeyPem: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface MintOptions {
  /** Requested lifetime; 0 lets the server choose (its default X509-SVID TTL). SPIRE treats it as advisory. */
  readonly ttlSeconds?: number;
  readonly crypto?: webcrypto.Crypto;
}

/** Mints a certificate for `identity`; a failure says why, in the Go registrar's words. */
export async function mintWebhookCertificate(
  spire: Pick<SpireClient, "mintX509Svid">,
  identity: WebhookSvidIdentity,
  options: MintOptions = {},
): Promise<Result<WebhookCertificate>> {
  const csr = await createWebhookCsr(identity, options.crypto);
  const minted = await spire.mintX509Svid(csr.csrDer, options.ttlSeconds ?? 0);
  if (!minted.ok) return fail(`unable to make Mint SVID Request: ${minted.error.message}`);
  const [leaf] = minted.value.certChain;
  if (!leaf) return fail("no certificates in Mint SVID Response");
  const certChainPem = minted.value.certChain.map((der) => toPem(der, "CERTIFICATE")).join("");
  try {
    // Refuse to write a pair that TLS could not serve (e.g. a chain for another key).
    createSecureContext({ cert: certChainPem, key: csr.privateKeyPem });
  } catch (error) {
    return fail(`the minted certificate cannot be served with its key: ${(error as Error).message}`);
  }
  const x509 = await loadX509();
  const certificate = new x509.X509Certificate(leaf);
  return ok({
    certChainPem,
    privateKeyPem: csr.privateKeyPem,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
  });
}
