import { createPrivateKey, createPublicKey, sign, verify, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  CA_COMMON_NAME,
  CLIENT_COMMON_NAME,
  generateCertificates,
  SERVER_COMMON_NAME,
  type WebhookCertificates,
} from "../../../lib/generate-config/certificates.js";
import { type KeyAlgorithm, parseKeyAlgorithm } from "../../../lib/generate-config/key-algorithm.js";
import { loadX509 } from "../../../lib/generate-config/load-x509.js";
import { validityWindow } from "../../../lib/generate-config/validity.js";

const NOW = new Date("2030-06-15T12:00:00Z");
const HOUR_MS = 3_600_000;

function algorithm(name: string): KeyAlgorithm {
  const parsed = parseKeyAlgorithm(name);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

async function generate(
  keys: { ca?: string; server?: string; client?: string } = {},
  ttlMs = 8760 * HOUR_MS,
): Promise<WebhookCertificates> {
  const validity = validityWindow(NOW, ttlMs);
  if (!validity.ok) throw new Error(validity.error);
  return generateCertificates(
    {
      service: "registrar",
      namespace: "spire-system",
      caKey: algorithm(keys.ca ?? "ec-p256"),
      serverKey: algorithm(keys.server ?? "ec-p256"),
      clientKey: algorithm(keys.client ?? "ec-p256"),
      validity: validity.value,
    },
    globalThis.crypto,
  );
}

async function extensionsOf(pem: string) {
  const x509 = await loadX509();
  const certificate = new x509.X509Certificate(pem);
  return {
    eku: certificate.getExtension(x509.ExtendedKeyUsageExtension)?.usages,
    keyUsage: certificate.getExtension(x509.KeyUsagesExtension)?.usages,
    basic: certificate.getExtension(x509.BasicConstraintsExtension),
    ski: certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    aki: certificate.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId,
    X509: x509,
  };
}

describe("generateCertificates", () => {
  it("issues server and client certificates that verify against the CA, with the original's names", async () => {
    const { ca, server, client } = await generate();
    const caCert = new X509Certificate(ca.certificatePem);
    const serverCert = new X509Certificate(server.certificatePem);
    const clientCert = new X509Certificate(client.certificatePem);

    expect(caCert.subject).toBe(`CN=${CA_COMMON_NAME}`);
    expect(caCert.issuer).toBe(`CN=${CA_COMMON_NAME}`);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);

    expect(serverCert.subject).toBe(`CN=${SERVER_COMMON_NAME}`);
    expect(serverCert.issuer).toBe(`CN=${CA_COMMON_NAME}`);
    expect(serverCert.ca).toBe(false);
    expect(serverCert.verify(caCert.publicKey)).toBe(true);
    expect(serverCert.checkIssued(caCert)).toBe(true);
    expect(serverCert.subjectAltName).toBe(
      "DNS:registrar.spire-system.svc, DNS:registrar.spire-system, DNS:registrar",
    );
    expect(serverCert.checkHost("registrar.spire-system.svc")).toBe("registrar.spire-system.svc");

    expect(clientCert.subject).toBe(`CN=${CLIENT_COMMON_NAME}`);
    expect(clientCert.verify(caCert.publicKey)).toBe(true);
    expect(clientCert.subjectAltName).toBeUndefined();

    // A certificate from a different run must not verify: the CA really is per run.
    const other = await generate();
    expect(serverCert.verify(new X509Certificate(other.ca.certificatePem).publicKey)).toBe(false);
  });

  it("sets key usages, extended key usages, SKI and AKI", async () => {
    const { ca, server, client } = await generate();
    const caExt = await extensionsOf(ca.certificatePem);
    const serverExt = await extensionsOf(server.certificatePem);
    const clientExt = await extensionsOf(client.certificatePem);
    const { KeyUsageFlags, ExtendedKeyUsage } = caExt.X509;

    expect(caExt.basic?.ca).toBe(true);
    expect(caExt.basic?.critical).toBe(true);
    expect(caExt.keyUsage).toBe(
      KeyUsageFlags.digitalSignature | KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign,
    );
    expect(caExt.eku).toBeUndefined();

    const leafUsages =
      KeyUsageFlags.keyEncipherment | KeyUsageFlags.keyAgreement | KeyUsageFlags.digitalSignature;
    expect(serverExt.keyUsage).toBe(leafUsages);
    expect(serverExt.eku).toEqual([ExtendedKeyUsage.serverAuth]);
    expect(clientExt.keyUsage).toBe(leafUsages);
    expect(clientExt.eku).toEqual([ExtendedKeyUsage.clientAuth]);

    expect(caExt.ski).toMatch(/^[0-9a-f]{40}$/);
    expect(serverExt.ski).toMatch(/^[0-9a-f]{40}$/);
    expect(serverExt.ski).not.toBe(caExt.ski);
    expect(serverExt.aki).toBe(caExt.ski);
    expect(clientExt.aki).toBe(caExt.ski);
  });

  it("derives the SKI as the SHA-1 of the public key bits, as Go does", async () => {
    const { server } = await generate();
    const certificate = new X509Certificate(server.certificatePem);
    const spki = certificate.publicKey.export({ type: "spki", format: "der" });
    // For EC P-256 the BIT STRING is the last 65 bytes (uncompressed point) of the SPKI.
    const bits = spki.subarray(spki.length - 65);
    const digest = Buffer.from(await globalThis.crypto.subtle.digest("SHA-1", bits)).toString("hex");
    expect((await extensionsOf(server.certificatePem)).ski).toBe(digest);
  });

  it("uses 8-byte positive serial numbers that differ between certificates", async () => {
    const { ca, server, client } = await generate();
    const serials = [ca, server, client].map((pair) => new X509Certificate(pair.certificatePem).serialNumber);
    for (const serial of serials) {
      expect(serial).toMatch(/^[0-9A-F]{1,16}$/);
      expect(Number.parseInt(serial.padStart(16, "0").slice(0, 2), 16)).toBeLessThan(0x80);
    }
    expect(new Set(serials).size).toBe(3);
  });

  it("is valid from a minute before now until now + ttl", async () => {
    const { ca, server } = await generate({}, 48 * HOUR_MS);
    for (const pair of [ca, server]) {
      const certificate = new X509Certificate(pair.certificatePem);
      expect(new Date(certificate.validFrom).toISOString()).toBe("2030-06-15T11:59:00.000Z");
      expect(new Date(certificate.validTo).toISOString()).toBe("2030-06-17T12:00:00.000Z");
    }
  });

  it("uses 9999-12-31T23:59:59Z as NotAfter when the ttl is 0", async () => {
    const { ca, client } = await generate({}, 0);
    for (const pair of [ca, client]) {
      const certificate = new X509Certificate(pair.certificatePem);
      expect(new Date(certificate.validTo).toISOString()).toBe("9999-12-31T23:59:59.000Z");
    }
  });

  it.each([
    ["ec-p256", "ec", { namedCurve: "prime256v1" }],
    ["EC-P384", "ec", { namedCurve: "secp384r1" }],
    ["ec-p521", "ec", { namedCurve: "secp521r1" }],
    ["rsa-2048", "rsa", { modulusLength: 2048 }],
  ])("generates %s keys as PKCS#8 PEM that match their certificates", async (name, type, details) => {
    const { ca, server, client } = await generate({ ca: name, server: name, client: name });
    for (const pair of [ca, server, client]) {
      expect(pair.privateKeyPem).toMatch(
        /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----\n$/,
      );
      const privateKey = createPrivateKey(pair.privateKeyPem);
      const publicKey = new X509Certificate(pair.certificatePem).publicKey;
      expect(publicKey.asymmetricKeyType).toBe(type);
      expect(publicKey.asymmetricKeyDetails).toMatchObject(details);
      const message = Buffer.from("admission review");
      expect(verify("sha256", message, publicKey, sign("sha256", message, privateKey))).toBe(true);
      expect(createPublicKey(privateKey).export({ format: "jwk" })).toEqual(
        publicKey.export({ format: "jwk" }),
      );
    }
    expect(
      new X509Certificate(server.certificatePem).verify(new X509Certificate(ca.certificatePem).publicKey),
    ).toBe(true);
  });

  it("generates rsa-4096 keys and mixes key types between CA and leaves", async () => {
    const { ca, server, client } = await generate({ ca: "rsa-4096", server: "ec-p384", client: "rsa-2048" });
    const caCert = new X509Certificate(ca.certificatePem);
    expect(caCert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    expect(new X509Certificate(server.certificatePem).publicKey.asymmetricKeyDetails?.namedCurve).toBe(
      "secp384r1",
    );
    expect(new X509Certificate(server.certificatePem).verify(caCert.publicKey)).toBe(true);
    expect(new X509Certificate(client.certificatePem).verify(caCert.publicKey)).toBe(true);
  });
});
