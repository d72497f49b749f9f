/**
 * SPIFFE bundles (a JWKS with `spiffe_sequence` and `spiffe_refresh_hint`) as SCM reads a
 * ClusterFederatedTrustDomain's `trustDomainBundle` (go-spiffe's `spiffebundle.Parse` over go-jose's JWK
 * decoding, with their messages), converted to the SPIRE API's Bundle: X.509 authorities as certificate DER,
 * JWT authorities as PKIX (SubjectPublicKeyInfo) DER with their key IDs.
 */
import { createHash, createPublicKey, X509Certificate } from "node:crypto";
import { fail, ok, type Result } from "../spiffe/result.js";
import { decodeGoBase64 } from "./go-base64.js";
import { goJsonField, goJsonKind, goJsonMembers, goJsonSyntaxError } from "./go-json.js";
import { parseGoUrl } from "./go-url.js";

/** The API form of a bundle (spire.api.types.Bundle), as SCM sends it in a federation relationship. */
export interface ApiBundle {
  readonly trustDomain: string;
  readonly x509Authorities: readonly { readonly asn1: Uint8Array }[];
  readonly jwtAuthorities: readonly { readonly keyId: string; readonly publicKey: Uint8Array }[];
  /** Seconds. */
  readonly refreshHint: bigint;
  readonly sequenceNumber: bigint;
}

/**
 * A parsed bundle. `apiError` is set when go-spiffe accepts the bundle but SCM cannot convert it for SPIRE
 * (a symmetric or private JWT key: `failed to marshal public key: x509: unsupported public key type: ...`);
 * SCM's webhook admits such a bundle and its reconciler then fails to send it.
 */
export type ParsedBundle = { readonly bundle: ApiBundle } | { readonly apiError: string };

interface DecodedKey {
  readonly use: string;
  readonly kid: string;
  /** The key as the API carries it (PKIX DER), or the Go type that cannot be marshalled. */
  readonly publicKey: Uint8Array | { readonly unsupported: string } | undefined;
  readonly certificates: readonly Uint8Array[];
}

/** Parses a bundle document for `trustDomain`; errors read like go-spiffe's (`spiffebundle: ...`). */
export function parseSpiffeBundle(trustDomain: string, text: string): Result<ParsedBundle> {
  const document = decodeDocument(text);
  if (!document.ok) return fail(`spiffebundle: unable to parse JWKS: ${document.error}`);
  const { keys, sequence, refreshHint } = document.value;
  if (keys === undefined) return fail("spiffebundle: no authorities found");
  const x509Authorities: { asn1: Uint8Array }[] = [];
  const jwtAuthorities = new Map<string, Uint8Array | { unsupported: string }>();
  for (const [index, key] of keys.entries()) {
    if (key.use === "x509-svid") {
      if (key.certificates.length !== 1) {
        return fail(
          `spiffebundle: expected a single certificate in x509-svid entry ${index}; got ${key.certificates.length}`,
        );
      }
      // go-spiffe adds an authority only once (by its DER).
      const asn1 = key.certificates[0] ?? new Uint8Array();
      if (!x509Authorities.some((authority) => sameBytes(authority.asn1, asn1)))
        x509Authorities.push({ asn1 });
    } else if (key.use === "jwt-svid" || key.use === "wit-svid") {
      const label = key.use === "jwt-svid" ? "authority" : "WIT authority";
      if (key.kid === "")
        return fail(`spiffebundle: error adding ${label} ${index} of JWKS: keyID cannot be empty`);
      if (key.use === "jwt-svid" && key.publicKey !== undefined) jwtAuthorities.set(key.kid, key.publicKey);
    }
  }
  const jwt: { keyId: string; publicKey: Uint8Array }[] = [];
  for (const [keyId, publicKey] of jwtAuthorities) {
    if (!(publicKey instanceof Uint8Array)) {
      return ok({
        apiError: `failed to marshal public key: x509: unsupported public key type: ${publicKey.unsupported}`,
      });
    }
    jwt.push({ keyId, publicKey });
  }
  return ok({
    bundle: { trustDomain, x509Authorities, jwtAuthorities: jwt, refreshHint, sequenceNumber: sequence },
  });
}

interface Document {
  readonly keys: DecodedKey[] | undefined;
  readonly sequence: bigint;
  readonly refreshHint: bigint;
}

/** The bundle document as Go decodes it: key errors stop at once, number type errors are reported last. */
function decodeDocument(text: string): Result<Document> {
  const syntax = goJsonSyntaxError(text);
  if (syntax !== undefined) return fail(syntax);
  const json: unknown = JSON.parse(text);
  if (json === null) return ok({ keys: undefined, sequence: 0n, refreshHint: 0n });
  if (typeof json !== "object" || Array.isArray(json)) {
    return fail(`json: cannot unmarshal ${goJsonKind(json)} into Go value of type spiffebundle.bundleDoc`);
  }
  const fields = json as Record<string, unknown>;
  const rawKeys = goJsonField(fields, "keys");
  let keys: DecodedKey[] | undefined;
  if (rawKeys !== undefined && rawKeys !== null) {
    if (!Array.isArray(rawKeys)) {
      return fail(
        `json: cannot unmarshal ${goJsonKind(rawKeys)} into Go struct field bundleDoc.JSONWebKeySet.keys of type []jose.JSONWebKey`,
      );
    }
    keys = [];
    for (const rawKey of rawKeys) {
      const key = decodeKey(rawKey);
      if (!key.ok) return key;
      keys.push(key.value);
    }
  }
  const members = goJsonMembers(text);
  const sequence = integerField(members, "spiffe_sequence", "uint64");
  if (!sequence.ok) return sequence;
  const refreshHint = integerField(members, "spiffe_refresh_hint", "int64");
  if (!refreshHint.ok) return refreshHint;
  // go-spiffe keeps the hint as a time.Duration (int64 nanoseconds, which wraps), SCM sends it in seconds.
  const hint = BigInt.asIntN(64, refreshHint.value * NANOSECONDS_PER_SECOND) / NANOSECONDS_PER_SECOND;
  return ok({ keys, sequence: sequence.value, refreshHint: hint });
}

const NANOSECONDS_PER_SECOND = 1_000_000_000n;
const INTEGER_RANGES = { uint64: [0n, (1n << 64n) - 1n], int64: [-(1n << 63n), (1n << 63n) - 1n] } as const;

/** An integer member as Go decodes it from its literal (the last of the case-insensitively matching keys). */
function integerField(
  members: readonly [string, string][],
  name: string,
  type: "uint64" | "int64",
): Result<bigint> {
  const literal = members.filter(([key]) => key.toLowerCase() === name).at(-1)?.[1];
  if (literal === undefined || literal === "null") return ok(0n);
  const mismatch = (shown: string): Result<bigint> =>
    fail(`json: cannot unmarshal ${shown} into Go struct field bundleDoc.${name} of type ${type}`);
  const value: unknown = JSON.parse(literal);
  if (typeof value !== "number") return mismatch(goJsonKind(value));
  const [min, max] = INTEGER_RANGES[type];
  if (!/^-?[0-9]+$/.test(literal) || BigInt(literal) < min || BigInt(literal) > max)
    return mismatch(`number ${literal}`);
  return ok(BigInt(literal));
}

const STRING_MEMBERS = ["use", "kty", "kid", "crv", "alg", "x5u", "x5t", "x5t#S256"] as const;
const BYTE_MEMBERS = ["k", "x", "y", "n", "e", "d", "p", "q", "dp", "dq", "qi"] as const;

type RawKey = { [K in (typeof STRING_MEMBERS)[number]]: string } & {
  [K in (typeof BYTE_MEMBERS)[number]]: Uint8Array | undefined;
} & { readonly x5c: readonly string[] };

/** go-jose's `JSONWebKey.UnmarshalJSON`, in its order of checks. */
function decodeKey(json: unknown): Result<DecodedKey> {
  const raw = decodeRawKey(json);
  if (!raw.ok) return raw;
  const key = raw.value;
  const certificates: Uint8Array[] = [];
  for (const text of key.x5c) {
    const der = decodeGoBase64(text, true);
    if (!der.ok) return fail(`go-jose/go-jose: failed to unmarshal x5c field: ${der.error}`);
    if (!isCertificate(der.value))
      return fail("go-jose/go-jose: failed to unmarshal x5c field: x509: malformed certificate");
    certificates.push(der.value);
  }
  const material = keyMaterial(key, certificates.length > 0);
  if (!material.ok) return material;
  const { publicKey, comparable } = material.value;
  const leaf = certificates[0];
  if (leaf !== undefined && comparable !== undefined && !sameBytes(certificateKey(leaf), comparable)) {
    return fail("go-jose/go-jose: invalid JWK, public keys in key and x5c fields do not match");
  }
  if (key.x5u !== "") {
    const url = parseGoUrl(key.x5u);
    if (!url.ok) return fail(`go-jose/go-jose: invalid JWK, x5u header is invalid URL: ${url.error}`);
  }
  const thumbprints = checkThumbprints(key, leaf);
  if (!thumbprints.ok) return thumbprints;
  return ok({ use: key.use, kid: key.kid, publicKey, certificates });
}

function decodeRawKey(json: unknown): Result<RawKey> {
  if (json === null) json = {};
  if (typeof json !== "object" || Array.isArray(json)) {
    return fail(`json: cannot unmarshal ${goJsonKind(json)} into Go value of type jose.rawJSONWebKey`);
  }
  const fields = json as Record<string, unknown>;
  const key: Record<string, unknown> = {};
  for (const name of STRING_MEMBERS) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "string")
      return typeMismatch(value, "string");
    key[name] = typeof value === "string" ? value : "";
  }
  for (const name of BYTE_MEMBERS) {
    const value = fields[name];
    if (value !== undefined && value !== null && typeof value !== "string")
      return typeMismatch(value, "string");
    if (typeof value !== "string" || value === "") continue;
    const bytes = decodeGoBase64(value, false);
    if (!bytes.ok) return bytes;
    key[name] = bytes.value;
  }
  const x5c = fields.x5c;
  if (x5c !== undefined && x5c !== null) {
    if (!Array.isArray(x5c)) return typeMismatch(x5c, "[]string");
    const bad = x5c.find((item) => item !== null && typeof item !== "string");
    if (bad !== undefined) return typeMismatch(bad, "string");
  }
  key.x5c = Array.isArray(x5c) ? x5c.map((item) => (typeof item === "string" ? item : "")) : [];
  return ok(key as RawKey);
}

function typeMismatch(value: unknown, type: string): Result<never> {
  return fail(`json: cannot unmarshal ${goJsonKind(value)} into Go value of type ${type}`);
}

const CURVE_SIZES: Readonly<Record<string, number>> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/**
 * The key's PKIX DER (for the API) and, for the certificate comparison, the DER of its public part. Private
 * and symmetric keys decode (go-jose accepts them) but cannot be sent as JWT authorities.
 */
function keyMaterial(key: RawKey, hasCertificate: boolean): KeyMaterial {
  switch (key.kty) {
    case "EC":
      return key.d === undefined ? ecKey(key) : ecPrivateKey(key);
    case "RSA": {
      if (key.d !== undefined) {
        const missing = missingMembers(key, ["n", "e", "d", "p", "q"]);
        if (missing !== "")
          return fail(`go-jose/go-jose: invalid RSA private key, missing ${missing} value(s)`);
      } else if (key.n === undefined || key.e === undefined) {
        return fail("go-jose/go-jose: invalid RSA key, missing n/e values");
      }
      const der = spki({
        kty: "RSA",
        n: base64Url(key.n ?? new Uint8Array()),
        e: base64Url(key.e ?? new Uint8Array()),
      });
      if (der === undefined) return fail("go-jose/go-jose: invalid RSA key");
      return ok({
        publicKey: key.d === undefined ? der : { unsupported: "*rsa.PrivateKey" },
        comparable: der,
      });
    }
    case "OKP": {
      if (key.crv !== "Ed25519") return fail("go-jose/go-jose: unsupported key type/format");
      if (key.d !== undefined) {
        const missing = missingMembers(key, ["d", "x"]);
        if (missing !== "")
          return fail(`go-jose/go-jose: invalid Ed25519 private key, missing ${missing} value(s)`);
      } else if (key.x === undefined) {
        return fail("go-jose/go-jose: invalid Ed key, missing x value");
      }
      const der = ed25519Spki(key.x ?? new Uint8Array());
      return ok({
        publicKey: key.d === undefined ? der : { unsupported: "ed25519.PrivateKey" },
        comparable: der,
      });
    }
    case "oct":
      if (hasCertificate)
        return fail("go-jose/go-jose: invalid JWK, found 'oct' (symmetric) key with cert chain");
      if (key.k === undefined) return fail("go-jose/go-jose: invalid OCT (symmetric) key, missing k value");
      return ok({ publicKey: { unsupported: "[]uint8" }, comparable: undefined });
    case "":
      return fail("go-jose/go-jose: missing json web key type");
    default:
      return fail("go-jose/go-jose: unsupported key type/format");
  }
}

type KeyMaterial = Result<{ publicKey: DecodedKey["publicKey"]; comparable: Uint8Array | undefined }>;

function ecKey(key: RawKey): KeyMaterial {
  const size = CURVE_SIZES[key.crv];
  if (size === undefined) return fail(`go-jose/go-jose: unsupported elliptic curve '${key.crv}'`);
  if (key.x === undefined || key.y === undefined)
    return fail("go-jose/go-jose: invalid EC key, missing x/y values");
  if (key.x.length !== size) return fail("go-jose/go-jose: invalid EC public key, wrong length for x");
  if (key.y.length !== size) return fail("go-jose/go-jose: invalid EC public key, wrong length for y");
  return ecPoint(key.crv, key.x, key.y, undefined);
}

function ecPrivateKey(key: RawKey): KeyMaterial {
  const size = CURVE_SIZES[key.crv];
  if (size === undefined) return fail(`go-jose/go-jose: unsupported elliptic curve '${key.crv}'`);
  const missing = missingMembers(key, ["x", "y", "d"]);
  if (missing !== "") return fail(`go-jose/go-jose: invalid EC private key, missing ${missing} value(s)`);
  for (const member of ["x", "y", "d"] as const) {
    const expected = member === "d" ? Math.ceil(Number(key.crv.slice(2)) / 8) : size;
    if (key[member]?.length !== expected)
      return fail(`go-jose/go-jose: invalid EC private key, wrong length for ${member}`);
  }
  return ecPoint(key.crv, key.x ?? new Uint8Array(), key.y ?? new Uint8Array(), "*ecdsa.PrivateKey");
}

function ecPoint(crv: string, x: Uint8Array, y: Uint8Array, unsupported: string | undefined): KeyMaterial {
  const der = spki({ kty: "EC", crv, x: base64Url(x), y: base64Url(y) });
  if (der === undefined) return fail("go-jose/go-jose: invalid EC key, X/Y are not on declared curve");
  return ok({ publicKey: unsupported === undefined ? der : { unsupported }, comparable: der });
}

/** The absent members among `names`, upper-cased and comma-separated as go-jose lists them. */
function missingMembers(key: RawKey, names: readonly (keyof RawKey)[]): string {
  return names
    .filter((name) => key[name] === undefined)
    .map((name) => String(name).toUpperCase())
    .join(", ");
}

function spki(jwk: Record<string, string>): Uint8Array | undefined {
  try {
    return new Uint8Array(
      createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "der" }),
    );
  } catch {
    return undefined;
  }
}

/**
 * The PKIX DER of an Ed25519 key as go-jose builds it: `x` copied into 32 zero bytes (cut or padded, never
 * rejected), then marshalled by Go's `x509.MarshalPKIXPublicKey`.
 */
function ed25519Spki(x: Uint8Array): Uint8Array {
  const key = new Uint8Array(32);
  key.set(x.subarray(0, 32));
  return Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00, ...key]);
}

function isCertificate(der: Uint8Array): boolean {
  try {
    new X509Certificate(der);
    return true;
  } catch {
    return false;
  }
}

function certificateKey(der: Uint8Array): Uint8Array {
  return new Uint8Array(new X509Certificate(der).publicKey.export({ type: "spki", format: "der" }));
}

/** The `x5t` (SHA-1) and `x5t#S256` thumbprints: decodable, of the right size, and matching the leaf. */
function checkThumbprints(key: RawKey, leaf: Uint8Array | undefined): Result<void> {
  const kinds = [
    { member: "x5t", algorithm: "sha1", size: 20 },
    { member: "x5t#S256", algorithm: "sha256", size: 32 },
  ] as const;
  const thumbprints: Uint8Array[] = [];
  for (const { member, size } of kinds) {
    const decoded = decodeGoBase64(key[member], false);
    if (!decoded.ok) return fail(`go-jose/go-jose: invalid JWK, ${member} header has invalid encoding`);
    let thumbprint = decoded.value;
    if (thumbprint.length === 2 * size) {
      const hex = new TextDecoder().decode(thumbprint);
      if (!/^[0-9a-fA-F]*$/.test(hex)) {
        return fail(
          `go-jose/go-jose: invalid JWK, unable to hex decode ${member}: encoding/hex: invalid byte`,
        );
      }
      thumbprint = Uint8Array.from(Buffer.from(hex, "hex"));
    }
    thumbprints.push(thumbprint);
  }
  for (const [index, { member, size }] of kinds.entries()) {
    const length = thumbprints[index]?.length ?? 0;
    if (length > 0 && length !== size)
      return fail(`go-jose/go-jose: invalid JWK, ${member} header is of incorrect size`);
  }
  if (leaf === undefined) return ok(undefined);
  for (const [index, { member, algorithm }] of kinds.entries()) {
    const thumbprint = thumbprints[index] ?? new Uint8Array();
    if (thumbprint.length > 0 && !sameBytes(createHash(algorithm).update(leaf).digest(), thumbprint)) {
      return fail(`go-jose/go-jose: invalid JWK, x5c thumbprint does not match ${member} value`);
    }
  }
  return ok(undefined);
}

function base64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, index) => byte === b[index]);
}
