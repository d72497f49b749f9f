/**
 * Starts `spiffeid-validation`: provides the serving certificate (minted from SPIRE into a writable
 * `webhook_cert_dir` and renewed at half-life, or the mounted files of a read-only one), then serves
 * the webhook over HTTPS on `webhook_port` on every interface.
 *
 * Client certificates are not verified: the API server presents none to a Service-backed webhook
 * unless an AdmissionConfiguration tells it to, which crd mode never required. Access to the port
 * should be limited with a NetworkPolicy; the webhook only reads, so a stray caller learns at most
 * whether a SpiffeID would be accepted.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { defaultTenantRules, type TenantRules } from "../../lib/admission/spiffeid-tenancy.js";
import type { ReadinessCheck } from "../../lib/http/health.js";
import type { ServedApp } from "../../lib/http/serve.js";
import { serveTls } from "../../lib/http/serve-tls.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import { ownNamespace } from "../../lib/runtime/namespace.js";
import { type Runtime, StartupError } from "../../lib/runtime/runtime.js";
import type { SpireClient } from "../../lib/spire/client.js";
import { CERT_FILE, KEY_FILE } from "../../lib/webhook-svid/cert-dir.js";
import { webhookSvidIdentity } from "../../lib/webhook-svid/identity.js";
import type { RetryBackoff, RotationClock } from "../../lib/webhook-svid/rotation.js";
import { provideWebhookCertificate } from "../../lib/webhook-svid/webhook-certificate.js";
import { createApp } from "./app.js";

/** The API server's default webhook timeout is 10 s; the duplicate check gets a fraction of it. */
export const VALIDATION_SPIRE_TIMEOUT_MS = 2_000;

export interface SpiffeIdValidationServerOptions {
  readonly trustDomain: string;
  readonly cluster: string;
  /** The registrar's namespace: node SpiffeIDs live there, and it is the Service's namespace. */
  readonly namespace: string;
  readonly webhookServiceName: string;
  readonly webhookCertDir: string;
  /** Go-style `host:port`. */
  readonly addr: string;
  /** Mints the serving certificate (retrying transient failures). */
  readonly spire: Pick<SpireClient, "mintX509Svid">;
  /** Lists entries for the duplicate check, with a short deadline. */
  readonly admissionSpire: Pick<SpireClient, "listEntries">;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
  readonly clock?: RotationClock;
  readonly backoff?: RetryBackoff;
  readonly reloadIntervalMs?: number;
  /** What namespaces may claim (default: defaultTenantRules, nothing beyond their own IDs). */
  readonly tenants?: TenantRules;
  /** Largest request body (default DEFAULT_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes?: number;
  /** Whether `webhookCertDir` is writable (default: a write probe). */
  readonly checkDirAccess?: (dir: string) => Promise<"writable" | "read-only">;
}

/** Provides the certificate and serves; `close()` also stops the renewals. */
export async function startSpiffeIdValidationServer(
  options: SpiffeIdValidationServerOptions,
): Promise<ServedApp> {
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
  const app = createApp({
    validation: {
      trustDomain: options.trustDomain,
      registrarNamespace: options.namespace,
      tenants: options.tenants ?? defaultTenantRules(options.cluster),
    },
    spire: options.admissionSpire,
    logger,
    readiness: options.readiness,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  logger.info(
    "spiffeid-validation does not verify client certificates: the API server presents none to a Service-backed webhook by default; limit who can reach the webhook port with a NetworkPolicy",
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
      name: "spiffeid-validation",
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

/** The function's start-up from a runtime (see index.ts). */
export async function startSpiffeIdValidation(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ServedApp[]> {
  const { config, logger } = runtime;
  if (config.mode !== "crd")
    logger.warn(`spiffeid-validation is a crd-mode function but mode is "${config.mode}"`);
  if (!config.webhookEnabled) {
    logger.warn("webhook_enabled is false, but spiffeid-validation was deployed: serving it anyway");
  }
  const namespace = ownNamespace("", env);
  if (!namespace) {
    throw new StartupError([
      "spiffeid-validation needs the registrar's namespace, which is unknown: in a pod, set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace); elsewhere, pass registrar serve --namespace NS",
    ]);
  }
  const served = await startSpiffeIdValidationServer({
    trustDomain: config.trustDomain,
    cluster: config.cluster,
    namespace,
    webhookServiceName: config.webhookServiceName,
    webhookCertDir: config.webhookCertDir,
    addr: `:${config.webhookPort}`,
    maxRequestBytes: config.maxRequestBytes,
    tenants: {
      cluster: config.cluster,
      controllerName: config.controllerName,
      downstreamNamespaces: config.downstreamNamespaces,
      adminNamespaces: config.adminNamespaces,
      allowCrossNamespaceIds: config.allowCrossNamespaceIds,
    },
    spire: runtime.spire,
    admissionSpire: runtime.spireWithTimeout(VALIDATION_SPIRE_TIMEOUT_MS),
    logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
  return [served];
}
