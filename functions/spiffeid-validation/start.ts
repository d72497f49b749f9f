/**
 * Starts `spiffeid-validation`: provides the serving certificate and serves the webhook over HTTPS on
 * `webhook_port` on every interface (lib/admission/svid-webhook-server.ts: how the certificate is provided,
 * and why client certificates are not verified).
 */
import type { Logger } from "pino";
import { defaultTenantRules, type TenantRules } from "../../lib/admission/spiffeid-tenancy.js";
import { serveWithWebhookSvid, webhookNamespace } from "../../lib/admission/svid-webhook-server.js";
import type { ReadinessCheck } from "../../lib/http/health.js";
import type { ServedApp } from "../../lib/http/serve.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import type { Runtime } from "../../lib/runtime/runtime.js";
import type { SpireClient } from "../../lib/spire/client.js";
import type { RetryBackoff, RotationClock } from "../../lib/webhook-svid/rotation.js";
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

/** Provides the certificate and serves (lib/admission/svid-webhook-server.ts); `close()` also stops the renewals. */
export function startSpiffeIdValidationServer(options: SpiffeIdValidationServerOptions): Promise<ServedApp> {
  const app = createApp({
    validation: {
      trustDomain: options.trustDomain,
      registrarNamespace: options.namespace,
      tenants: options.tenants ?? defaultTenantRules(options.cluster),
    },
    spire: options.admissionSpire,
    logger: options.logger,
    readiness: options.readiness,
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  return serveWithWebhookSvid(app, { ...options, name: "spiffeid-validation" });
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
  const namespace = webhookNamespace("spiffeid-validation", env);
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
