/**
 * The key algorithms `generate-config` offers (`-ca-key-alg` and friends), and how each maps onto
 * WebCrypto. The original also offered `ec-p224`; WebCrypto has no P-224 curve, so it is refused
 * with a message that says so instead of the generic "unsupported".
 */
import type { webcrypto } from "node:crypto";
import type { Result } from "../config/result.js";

export type KeyAlgorithmName = "rsa-2048" | "rsa-4096" | "ec-p256" | "ec-p384" | "ec-p521";

/** A key algorithm: how to generate the key, and how a certificate is signed with it. */
export interface KeyAlgorithm {
  readonly name: KeyAlgorithmName;
  readonly generate: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
  /** Signature algorithm for certificates this key signs (Go's choice: SHA-256, or the curve's size). */
  readonly sign: webcrypto.Algorithm | webcrypto.EcdsaParams;
}

const RSA_EXPONENT = new Uint8Array([1, 0, 1]);

const rsa = (name: KeyAlgorithmName, modulusLength: number): KeyAlgorithm => ({
  name,
  generate: { name: "RSASSA-PKCS1-v1_5", modulusLength, publicExponent: RSA_EXPONENT, hash: "SHA-256" },
  sign: { name: "RSASSA-PKCS1-v1_5" },
});

const ec = (name: KeyAlgorithmName, namedCurve: string, hash: string): KeyAlgorithm => ({
  name,
  generate: { name: "ECDSA", namedCurve },
  sign: { name: "ECDSA", hash },
});

const ALGORITHMS: Readonly<Record<KeyAlgorithmName, KeyAlgorithm>> = {
  "rsa-2048": rsa("rsa-2048", 2048),
  "rsa-4096": rsa("rsa-4096", 4096),
  "ec-p256": ec("ec-p256", "P-256", "SHA-256"),
  "ec-p384": ec("ec-p384", "P-384", "SHA-384"),
  "ec-p521": ec("ec-p521", "P-521", "SHA-512"),
};

/** The accepted names, in the order usage and messages list them. */
export const KEY_ALGORITHM_NAMES = Object.keys(ALGORITHMS) as readonly KeyAlgorithmName[];

export const DEFAULT_KEY_ALGORITHM: KeyAlgorithmName = "ec-p256";

/** Look up a key algorithm by name, case-insensitively. The error is a complete message. */
export function parseKeyAlgorithm(text: string): Result<KeyAlgorithm, string> {
  const lower = text.toLowerCase();
  const known = Object.hasOwn(ALGORITHMS, lower) ? ALGORITHMS[lower as KeyAlgorithmName] : undefined;
  if (known) return { ok: true, value: known };
  const supported = `supported: ${KEY_ALGORITHM_NAMES.join(", ")}`;
  if (lower === "ec-p224") {
    return {
      ok: false,
      error: `unsupported key algorithm ${JSON.stringify(text)}: WebCrypto has no P-224 curve; ${supported}`,
    };
  }
  return { ok: false, error: `unsupported key algorithm ${JSON.stringify(text)} (${supported})` };
}
