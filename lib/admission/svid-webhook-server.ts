/**
 * Serving a validating webhook that the API server reaches through a Service (spiffeid-validation,
 * cluster-spiffeid-validation): the serving certificate comes from `provideWebhookCertificate` (minted
 * from SPIRE into a writable `webhook_cert_dir` and renewed at half-life, or the mounted files of a
 * read-only one), then the app is served over HTTPS on `addr`, with the files watched for changes and
 * the request limits of every HTTP function.
 *
 * Client certificates are not verified: the API server presents none to a Service-backed webhook
 * unless an AdmissionConfiguration tells it to, which neither crd mode nor SCM ever required. Access to
 * the port should be limited with a NetworkPolicy; these webhooks only read, so a stray caller learns at
 * most whether a resource would be accepted.
 */
import { join } from "node:path";
import type { Hono } from "hono";
import type { Logger } from "pino";
import type { ServedApp } from "../http/serve.js";
import { serveTls } from "../http/serve-tls.js";
import { ownNamespace } from "../runtime/namespace.js";
import { StartupError } from "../runtime/runtime.js";
import type { SpireClient } from "../spire/client.js";
import { CERT_FILE, KEY_FILE } from "../webhook-svid/cert-dir.js";
import { webhookSvidIdentity } from "../webhook-svid/identity.js";
import type { RetryBackoff, RotationClock } from "../webhook-svid/rotation.js";
import { provideWebhookCertificate } from "../webhook-svid/webhook-certificate.js";

export interface SvidWebhookServeOptions {
  /** The function's name, in log lines. */
  readonly name: string;
  readonly trustDomain: string;
  readonly cluster: string;
  /** The Service's namespace (the certificate names `<webhookServiceName>.<namespace>.svc`). */
  readonly namespace: string;
  readonly webhookServiceName: string;
  readonly webhookCertDir: string;
  /** Go-style `host:port`. */
  readonly addr: string;
  /** Mints the serving certificate (retrying transient failures). */
  readonly spire: Pick<SpireClient, "mintX509Svid">;
  readonly logger: Logger;
  readonly clock?: RotationClock;
  readonly backoff?: RetryBackoff;
  readonly reloadIntervalMs?: number;
  /** Largest request body (default DEFAULT_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes?: number;
  /** Whether `webhookCertDir` is writable (default: a write probe). */
  readonly checkDirAccess?: (dir: string) => Promise<"writable" | "read-only">;
}

/**
 * Provides the certificate, then serves `app`; `close()` also stops the renewals. A certificate that
 * cannot be provided (an unusable identity, a failed first mint) is a StartupError.
 */
export async function serveWithWebhookSvid(app: Hono, options: SvidWebhookServeOptions): Promise<ServedApp> {
  const { logger } = options;
  const identity = webhookSvidIdentity({
    trustDomain: options.trustDomain,
    cluster: options.cluster,
    serviceName: options.webhookServiceName,
    namespace: options.namespace,
  });
  if (!identity.ok) throw new StartupError([identity.error]);
  let certificate: Awaited<ReturnType<typeof provideWebhookCertificate>>;
  try {
    certificate = await provideWebhookCertificate({
      certDir: options.webhookCertDir,
      identity: identity.value,
      spire: options.spire,
      logger,
      ...(options.clock !== undefined && { clock: options.clock }),
      ...(options.backoff !== undefined && { backoff: options.backoff }),
      ...(options.checkDirAccess !== undefined && { checkDirAccess: options.checkDirAccess }),
    });
  } catch (error) {
    throw new StartupError([(error as Error).message]);
  }
  logger.info(
    `${options.name} does not verify client certificates: the API server presents none to a Service-backed webhook by default; limit who can reach the webhook port with a NetworkPolicy`,
  );
  let served: ServedApp;
  try {
    served = await serveTls(app, {
      addr: options.addr,
      files: {
        certPath: join(options.webhookCertDir, CERT_FILE),
        keyPath: join(options.webhookCertDir, KEY_FILE),
      },
      logger,
      name: options.name,
      withoutClientCa: "not-requested",
      ...(options.reloadIntervalMs !== undefined && { reloadIntervalMs: options.reloadIntervalMs }),
      ...(options.maxRequestBytes !== undefined && { limits: { maxBodyBytes: options.maxRequestBytes } }),
    });
  } catch (error) {
    if (certificate.kind === "minted") certificate.stop();
    throw error;
  }
  return {
    port: served.port,
    close: async () => {
      if (certificate.kind === "minted") certificate.stop();
      await served.close();
    },
  };
}

/**
 * The namespace the webhook's Service lives in (its certificate names it): the downward API's
 * `MY_POD_NAMESPACE`, then `POD_NAMESPACE`, then the service account file; unknown is a StartupError.
 */
export function webhookNamespace(name: string, env: Readonly<Record<string, string | undefined>>): string {
  const namespace = ownNamespace("", env);
  if (!namespace) {
    throw new StartupError([
      `${name} needs the registrar's namespace, which is unknown: in a pod, set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace); elsewhere, pass registrar serve --namespace NS`,
    ]);
  }
  return namespace;
}
