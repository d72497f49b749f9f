import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { splitDerCertificates, toPem } from "../../../lib/spire/der.js";

const fixture = (name: string) =>
  new X509Certificate(
    readFileSync(join(import.meta.dirname, "../../component/spire/fixtures", `${name}.pem`)),
  );

describe("splitDerCertificates", () => {
  const leaf = fixture("server");
  const ca = fixture("ca");

  it("splits concatenated DER certificates in order", () => {
    const result = splitDerCertificates(Buffer.concat([leaf.raw, ca.raw]));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.map((der) => new X509Certificate(der).serialNumber)).toEqual([
      leaf.serialNumber,
      ca.serialNumber,
    ]);
  });

  it("returns no certificates for empty input", () => {
    expect(splitDerCertificates(new Uint8Array())).toEqual({ ok: true, value: [] });
  });

  it.each([
    ["a truncated certificate", () => leaf.raw.subarray(0, leaf.raw.length - 1), "runs past the end"],
    [
      "trailing garbage",
      () => Buffer.concat([leaf.raw, Buffer.from([0x02, 0x01])]),
      "expected an ASN.1 SEQUENCE",
    ],
    ["a header without length", () => Buffer.from([0x30]), "malformed ASN.1 length"],
  ])("rejects %s", (_name, input, message) => {
    const result = splitDerCertificates(input());
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});

describe("toPem", () => {
  it("armours DER so that it parses back to the same certificate", () => {
    const ca = fixture("ca");
    const pem = toPem(ca.raw, "CERTIFICATE");
    expect(pem).toMatch(
      /^-----BEGIN CERTIFICATE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END CERTIFICATE-----\n$/,
    );
    expect(new X509Certificate(pem).fingerprint256).toBe(ca.fingerprint256);
  });
});
