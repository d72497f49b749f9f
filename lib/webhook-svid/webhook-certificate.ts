/**
 * Where the webhook's serving certificate comes from (reference §4.9). If `webhook_cert_dir` is
 * writable, the registrar mints `tls.crt`/`tls.key` from SPIRE at start and renews them at half-life;
 * if it is read-only (a mounted Secret), the mounted files are served as they are, with a warning.
 * Either way the HTTPS server picks up changed files by itself (serveTls watches them).
 */
import type { webcrypto } from "node:crypto";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { ok, type Result } from "../spiffe/result.js";
import type { SpireClient } from "../spire/client.js";
import { CERT_FILE, certDirAccess, KEY_FILE, writeCertFiles } from "./cert-dir.js";
import type { WebhookSvidIdentity } from "./identity.js";
import { mintWebhookCertificate } from "./mint.js";
import {
  type RetryBackoff,
  type RotationClock,
  startRotation,
  systemRotationClock,
  type Validity,
} from "./rotation.js";

export interface WebhookCertificateOptions {
  readonly certDir: string;
  readonly identity: WebhookSvidIdentity;
  readonly spire: Pick<SpireClient, "mintX509Svid">;
  readonly logger: Logger;
  readonly clock?: RotationClock;
  readonly backoff?: RetryBackoff;
  /** Requested SVID lifetime (default 0: the server's default). */
  readonly ttlSeconds?: number;
  readonly crypto?: webcrypto.Crypto;
  /** Decides whether the directory is writable (default `certDirAccess`, a write probe). */
  readonly checkDirAccess?: (dir: string) => Promise<"writable" | "read-only">;
}

/** `minted`: the registrar owns the files and renews them until `stop()`. */
export type WebhookCertificateSource =
  | { readonly kind: "minted"; stop(): void }
  | { readonly kind: "mounted" };

/**
 * Decides the source and, when minting, writes the first certificate before returning, so the
 * server can load it. A failed first mint (after the client's retries) or an unwritable file throws:
 * there is nothing to serve yet, so the function cannot start.
 */
export async function provideWebhookCertificate(
  options: WebhookCertificateOptions,
): Promise<WebhookCertificateSource> {
  const { certDir, identity, logger } = options;
  const log = logger.child({ [LogField.path]: certDir, [LogField.spiffeId]: identity.spiffeId });
  const access = await (options.checkDirAccess ?? certDirAccess)(certDir);
  if (access === "read-only") {
    log.warn(
      `webhook_cert_dir ${certDir} is read-only: serving the mounted ${CERT_FILE} and ${KEY_FILE} as they are; the registrar neither mints nor renews them, so whoever mounts them must rotate them`,
    );
    return { kind: "mounted" };
  }

  const mintAndWrite = async (): Promise<Result<Validity>> => {
    const minted = await mintWebhookCertificate(options.spire, identity, {
      ...(options.ttlSeconds !== undefined && { ttlSeconds: options.ttlSeconds }),
      ...(options.crypto !== undefined && { crypto: options.crypto }),
    });
    if (!minted.ok) return minted;
    await writeCertFiles(certDir, minted.value.certChainPem, minted.value.privateKeyPem);
    return ok({ notBefore: minted.value.notBefore, notAfter: minted.value.notAfter });
  };

  const first = await mintAndWrite();
  if (!first.ok)
    throw new Error(`minting the webhook serving certificate ${identity.spiffeId}: ${first.error}`);
  log.info(
    `minted the webhook serving certificate from SPIRE for ${identity.dnsNames.join(", ")}, valid until ${first.value.notAfter.toISOString()}`,
  );
  const rotation = startRotation({
    current: first.value,
    renew: mintAndWrite,
    clock: options.clock ?? systemRotationClock,
    logger: log,
    ...(options.backoff !== undefined && { backoff: options.backoff }),
  });
  return { kind: "minted", stop: () => rotation.stop() };
}
