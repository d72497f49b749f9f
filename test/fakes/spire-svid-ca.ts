/**
 * A throwaway SPIRE X.509 CA for the fake server's SVID service (MintX509SVID): a root, an
 * intermediate, and leaves for CSRs, checked the way SPIRE checks them (valid signature, exactly one
 * URI SAN that is a SPIFFE ID in the trust domain; DNS SANs copied). The chain returned is leaf then
 * intermediate; clients trust `rootCertPem`.
 */
import type { webcrypto } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import { loadX509 } from "../../lib/generate-config/load-x509.js";
import { toPem } from "../../lib/generate-config/pem.js";
import { parseSpiffeId } from "../../lib/spiffe/id.js";

/** What MintX509SVID answers (the fake server turns it into the response message). */
export interface MintedSvid {
  readonly spiffeId: string;
  /** DER certificates, leaf first. */
  readonly certChain: readonly Uint8Array[];
  /** Unix seconds. */
  readonly expiresAt: bigint;
}

/** The fake server's SVID service delegates to this; throw a ConnectError to fail the RPC. */
export interface SvidMinter {
  mint(csrDer: Uint8Array, ttlSeconds: number): Promise<MintedSvid>;
}

export interface FakeSvidCa extends SvidMinter {
  readonly rootCertPem: string;
  /** CSRs signed so far. */
  readonly mintedCount: number;
}

export interface FakeSvidCaOptions {
  readonly trustDomain: string;
  /** Lifetime when the request's ttl is 0 (SPIRE's default X509-SVID TTL is 1 h). */
  readonly defaultTtlSeconds?: number;
  /** Issue time of leaves; a test clock makes validity predictable. */
  readonly now?: () => Date;
}

const KEY = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const SAN_OID = "2.5.29.17";
const DAY_MS = 86_400_000;

export async function createFakeSvidCa(options: FakeSvidCaOptions): Promise<FakeSvidCa> {
  const x509 = await loadX509();
  const crypto = globalThis.crypto;
  const now = options.now ?? (() => new Date());
  const serial = () =>
    Buffer.from(crypto.getRandomValues(new Uint8Array(8)))
      .toString("hex")
      .replace(/^[89a-f]/, "1");
  const caExtensions = () => [
    new x509.BasicConstraintsExtension(true, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
  ];
  const validFrom = new Date(now().getTime() - DAY_MS);
  const validTo = new Date(now().getTime() + 30 * DAY_MS);

  const rootKeys = (await crypto.subtle.generateKey(KEY, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial(),
      name: `CN=fake SPIRE root, O=${options.trustDomain}`,
      notBefore: validFrom,
      notAfter: validTo,
      keys: rootKeys,
      signingAlgorithm: SIGN,
      extensions: caExtensions(),
    },
    crypto,
  );
  const intermediateKeys = (await crypto.subtle.generateKey(KEY, true, [
    "sign",
    "verify",
  ])) as webcrypto.CryptoKeyPair;
  const intermediate = await x509.X509CertificateGenerator.create(
    {
      serialNumber: serial(),
      subject: `CN=fake SPIRE intermediate, O=${options.trustDomain}`,
      issuer: root.subject,
      notBefore: validFrom,
      notAfter: validTo,
      publicKey: intermediateKeys.publicKey,
      signingKey: rootKeys.privateKey,
      signingAlgorithm: SIGN,
      extensions: caExtensions(),
    },
    crypto,
  );

  let mintedCount = 0;
  return {
    rootCertPem: toPem(root.rawData, "CERTIFICATE"),
    get mintedCount() {
      return mintedCount;
    },
    async mint(csrDer, ttlSeconds) {
      let csr: InstanceType<typeof x509.Pkcs10CertificateRequest>;
      try {
        csr = new x509.Pkcs10CertificateRequest(csrDer);
      } catch (error) {
        throw new ConnectError(`failed to parse CSR: ${(error as Error).message}`, Code.InvalidArgument);
      }
      if (!(await csr.verify(crypto)))
        throw new ConnectError("invalid CSR: signature verify failed", Code.InvalidArgument);
      const san = csr.getExtension(SAN_OID);
      const names = san instanceof x509.SubjectAlternativeNameExtension ? san.names.items : [];
      const uris = names.filter((name) => name.type === "url").map((name) => name.value);
      const dnsNames = names.filter((name) => name.type === "dns").map((name) => name.value);
      if (uris.length !== 1)
        throw new ConnectError("invalid CSR: a URI SAN is required", Code.InvalidArgument);
      const spiffeId = uris[0] as string;
      const parsed = parseSpiffeId(spiffeId);
      if (!parsed.ok || parsed.value.trustDomain !== options.trustDomain) {
        throw new ConnectError(
          `invalid CSR: URI SAN ${spiffeId} is not in the trust domain`,
          Code.InvalidArgument,
        );
      }
      const notBefore = now();
      const ttl = ttlSeconds > 0 ? ttlSeconds : (options.defaultTtlSeconds ?? 3600);
      const notAfter = new Date(notBefore.getTime() + ttl * 1000);
      const leaf = await x509.X509CertificateGenerator.create(
        {
          serialNumber: serial(),
          subject: "O=SPIRE, C=US",
          issuer: intermediate.subject,
          notBefore,
          notAfter,
          publicKey: csr.publicKey,
          signingKey: intermediateKeys.privateKey,
          signingAlgorithm: SIGN,
          extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(
              x509.KeyUsageFlags.digitalSignature |
                x509.KeyUsageFlags.keyEncipherment |
                x509.KeyUsageFlags.keyAgreement,
              true,
            ),
            new x509.ExtendedKeyUsageExtension([
              x509.ExtendedKeyUsage.serverAuth,
              x509.ExtendedKeyUsage.clientAuth,
            ]),
            new x509.SubjectAlternativeNameExtension([
              { type: "url", value: spiffeId },
              ...dnsNames.map((value) => ({ type: "dns" as const, value })),
            ]),
          ],
        },
        crypto,
      );
      mintedCount++;
      return {
        spiffeId,
        certChain: [new Uint8Array(leaf.rawData), new Uint8Array(intermediate.rawData)],
        expiresAt: BigInt(Math.floor(notAfter.getTime() / 1000)),
      };
    },
  };
}
