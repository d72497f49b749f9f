/**
 * Starts `cluster-spiffeid-validation`: provides the serving certificate and serves the webhook over
 * HTTPS on `webhook_port` on every interface, as spiffeid-validation does
 * (lib/admission/svid-webhook-server.ts).
 */
import type { Logger } from "pino";
import { serveWithWebhookSvid, webhookNamespace } from "../../lib/admission/svid-webhook-server.js";
import type { Config } from "../../lib/config/config.js";
import type { ReadinessCheck } from "../../lib/http/health.js";
import type { ServedApp } from "../../lib/http/serve.js";
import type { Metrics } from "../../lib/metrics/metrics.js";
import type { Runtime } from "../../lib/runtime/runtime.js";
import {
  CLUSTER_TENANT_RULES_OFF,
  type ClusterTenantRules,
} from "../../lib/scm-admission/cluster-tenancy.js";
import type { SpireClient } from "../../lib/spire/client.js";
import type { RetryBackoff, RotationClock } from "../../lib/webhook-svid/rotation.js";
import { createApp } from "./app.js";

const NAME = "cluster-spiffeid-validation";

export interface ClusterSpiffeIdValidationServerOptions {
  readonly trustDomain: string;
  readonly cluster: string;
  /** The namespace of the webhook's Service. */
  readonly namespace: string;
  readonly webhookServiceName: string;
  readonly webhookCertDir: string;
  /** Go-style `host:port`. */
  readonly addr: string;
  /** Mints the serving certificate (retrying transient failures). */
  readonly spire: Pick<SpireClient, "mintX509Svid">;
  readonly logger: Logger;
  readonly readiness: ReadinessCheck;
  readonly metrics?: Metrics;
  readonly clock?: RotationClock;
  readonly backoff?: RetryBackoff;
  readonly reloadIntervalMs?: number;
  /** This project's rules beyond SCM's (default CLUSTER_TENANT_RULES_OFF). */
  readonly tenants?: ClusterTenantRules;
  /** Largest request body (default DEFAULT_MAX_REQUEST_BYTES). */
  readonly maxRequestBytes?: number;
  /** Whether `webhookCertDir` is writable (default: a write probe). */
  readonly checkDirAccess?: (dir: string) => Promise<"writable" | "read-only">;
}

/** Provides the certificate and serves; `close()` also stops the renewals. */
export async function startClusterSpiffeIdValidationServer(
  options: ClusterSpiffeIdValidationServerOptions,
): Promise<ServedApp> {
  const { tenants, readiness, metrics, ...serving } = options;
  const app = createApp({
    validation: { trustDomain: options.trustDomain, tenants: tenants ?? CLUSTER_TENANT_RULES_OFF },
    logger: options.logger,
    readiness,
    ...(metrics ? { metrics } : {}),
  });
  return serveWithWebhookSvid(app, { name: NAME, ...serving });
}

/**
 * The tenant-rule keys this function reads from the configuration (`cluster_spiffeid_tenant_rules`,
 * `cluster_spiffeid_admin_groups`, `cluster_spiffeid_downstream_groups`). Optional here so the function
 * runs before the configuration has them; absent, the rules are off.
 */
export interface ClusterTenantConfig {
  readonly clusterSpiffeIdTenantRules?: boolean;
  readonly clusterSpiffeIdAdminGroups?: readonly string[];
  readonly clusterSpiffeIdDownstreamGroups?: readonly string[];
}

/** The tenant rules a configuration asks for. */
export function clusterTenantRules(config: ClusterTenantConfig): ClusterTenantRules {
  return {
    enabled: config.clusterSpiffeIdTenantRules ?? false,
    adminGroups: config.clusterSpiffeIdAdminGroups ?? [],
    downstreamGroups: config.clusterSpiffeIdDownstreamGroups ?? [],
  };
}

/** The function's start-up from a runtime (see index.ts). */
export async function startClusterSpiffeIdValidation(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<ServedApp[]> {
  const { logger } = runtime;
  const config: Config & ClusterTenantConfig = runtime.config;
  const mode: string = config.mode;
  if (mode !== "cluster-spiffeid") {
    logger.warn(`${NAME} is a cluster-spiffeid-mode function but mode is "${mode}"`);
  }
  const tenants = clusterTenantRules(config);
  if (!tenants.enabled && (tenants.adminGroups.length > 0 || tenants.downstreamGroups.length > 0)) {
    logger.warn(
      "cluster_spiffeid_admin_groups and cluster_spiffeid_downstream_groups apply only with cluster_spiffeid_tenant_rules = true: admin and downstream are allowed to everyone",
    );
  }
  const served = await startClusterSpiffeIdValidationServer({
    trustDomain: config.trustDomain,
    cluster: config.cluster,
    namespace: webhookNamespace(NAME, env),
    webhookServiceName: config.webhookServiceName,
    webhookCertDir: config.webhookCertDir,
    addr: `:${config.webhookPort}`,
    maxRequestBytes: config.maxRequestBytes,
    tenants,
    spire: runtime.spire,
    logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
  return [served];
}
