/**
 * The three certificates of webhook mode, as the original generate-config made them:
 * - a self-signed CA, which signs the other two and which the registrar trusts for client certs;
 * - the registrar's serving certificate for its Service names;
 * - the API server's client certificate, which it presents when calling the webhook.
 * Serials are 8 random bytes with the top bit cleared; SKI is the SHA-1 of the public key bits and
 * AKI the issuer's SKI; keys are PKCS#8 PEM (`PRIVATE KEY`).
 */
import type { webcrypto } from "node:crypto";
import type { KeyAlgorithm } from "./key-algorithm.js";
import { loadX509, type X509Module } from "./load-x509.js";
import { toPem } from "./pem.js";
import { servingNames, type WebhookEndpoint } from "./service-names.js";
import type { Validity } from "./validity.js";

export const CA_COMMON_NAME = "K8S WORKLOAD REGISTRAR CA";
export const SERVER_COMMON_NAME = "K8S WORKLOAD REGISTRAR SERVER";
export const CLIENT_COMMON_NAME = "K8S WORKLOAD REGISTRAR CLIENT";

/** A certificate and its private key, both PEM. */
export interface CertificateAndKey {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

export interface WebhookCertificates {
  readonly ca: CertificateAndKey;
  readonly server: CertificateAndKey;
  readonly client: CertificateAndKey;
}

export interface CertificateRequest extends WebhookEndpoint {
  readonly caKey: KeyAlgorithm;
  readonly serverKey: KeyAlgorithm;
  readonly clientKey: KeyAlgorithm;
  readonly validity: Validity;
}

/** Generate the CA, server and client certificates. `crypto` supplies keys and randomness. */
export async function generateCertificates(
  request: CertificateRequest,
  crypto: webcrypto.Crypto,
): Promise<WebhookCertificates> {
  const x509 = await loadX509();
  const maker = new CertificateMaker(x509, crypto, request.validity);
  const { KeyUsageFlags, ExtendedKeyUsage } = x509;
  const leafUsages =
    KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyAgreement | KeyUsageFlags.digitalSignature;

  const caKeys = await maker.generateKeys(request.caKey);
  const issuer: Issuer = {
    commonName: CA_COMMON_NAME,
    keys: caKeys,
    algorithm: request.caKey,
    ski: await maker.subjectKeyId(caKeys.publicKey),
  };
  const ca = await maker.issue({
    commonName: CA_COMMON_NAME,
    keys: caKeys,
    issuer,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
        true,
      ),
    ],
  });

  const server = await maker.issue({
    commonName: SERVER_COMMON_NAME,
    keys: await maker.generateKeys(request.serverKey),
    issuer,
    extensions: [
      new x509.KeyUsagesExtension(leafUsages, true),
      new x509.ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        servingNames(request).map(({ type, value }) => ({ type, value })),
      ),
    ],
  });
  const client = await maker.issue({
    commonName: CLIENT_COMMON_NAME,
    keys: await maker.generateKeys(request.clientKey),
    issuer,
    extensions: [
      new x509.KeyUsagesExtension(leafUsages, true),
      new x509.ExtendedKeyUsageExtension([ExtendedKeyUsage.clientAuth]),
    ],
  });
  return { ca, server, client };
}

type Extension = InstanceType<X509Module["Extension"]>;

interface Issuer {
  readonly commonName: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly algorithm: KeyAlgorithm;
  /** Hex SubjectKeyIdentifier of the issuer, which becomes the AuthorityKeyIdentifier. */
  readonly ski: string;
}

interface Subject {
  readonly commonName: string;
  readonly keys: webcrypto.CryptoKeyPair;
  readonly issuer: Issuer;
  /** Extensions besides SKI and AKI, which every certificate gets. */
  readonly extensions: readonly Extension[];
}

/** Holds what every certificate shares: the library, the crypto provider and the validity. */
class CertificateMaker {
  constructor(
    private readonly x509: X509Module,
    private readonly crypto: webcrypto.Crypto,
    private readonly validity: Validity,
  ) {}

  generateKeys(algorithm: KeyAlgorithm): Promise<webcrypto.CryptoKeyPair> {
    return this.crypto.subtle.generateKey(algorithm.generate, true, ["sign", "verify"]);
  }

  async subjectKeyId(publicKey: webcrypto.CryptoKey): Promise<string> {
    const extension = await this.x509.SubjectKeyIdentifierExtension.create(publicKey, false, this.crypto);
    return extension.keyId;
  }

  async issue(subject: Subject): Promise<CertificateAndKey> {
    const { x509, crypto } = this;
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: this.serialNumber(),
        subject: `CN=${subject.commonName}`,
        issuer: `CN=${subject.issuer.commonName}`,
        notBefore: this.validity.notBefore,
        notAfter: this.validity.notAfter,
        publicKey: subject.keys.publicKey,
        signingKey: subject.issuer.keys.privateKey,
        signingAlgorithm: subject.issuer.algorithm.sign,
        extensions: [
          ...subject.extensions,
          new x509.SubjectKeyIdentifierExtension(await this.subjectKeyId(subject.keys.publicKey)),
          new x509.AuthorityKeyIdentifierExtension(subject.issuer.ski),
        ],
      },
      crypto,
    );
    const pkcs8 = await crypto.subtle.exportKey("pkcs8", subject.keys.privateKey);
    return {
      certificatePem: toPem(certificate.rawData, "CERTIFICATE"),
      privateKeyPem: toPem(pkcs8, "PRIVATE KEY"),
    };
  }

  /** 8 random bytes, top bit cleared so the DER INTEGER stays positive without padding; never 0. */
  private serialNumber(): string {
    const bytes = new Uint8Array(8);
    do {
      this.crypto.getRandomValues(bytes);
      bytes[0] = (bytes[0] as number) & 0x7f;
    } while (bytes.every((byte) => byte === 0));
    return Buffer.from(bytes).toString("hex");
  }
}
