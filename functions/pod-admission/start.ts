/**
 * Starts `pod-admission` from a runtime: makes sure the cluster node alias entry exists (every
 * pod entry hangs off it), then serves the webhook over HTTPS on `addr`. SPIRE being down at start
 * is not fatal (the original exited): pods are admitted fail-open and the resync creates the alias.
 */

import type { ServedApp } from "../../lib/http/serve.js";
import { serveTls } from "../../lib/http/serve-tls.js";
import { webhookAliasEntry } from "../../lib/planner/derive-webhook.js";
import { webhookOwnership } from "../../lib/planner/ownership.js";
import { plannerModeConfig, type Runtime } from "../../lib/runtime/runtime.js";
import { coalesceWrites } from "../../lib/spire/coalesce.js";
import { createApp } from "./app.js";

/** The API server's default webhook timeout is 10 s; SPIRE gets a fraction of it. */
export const ADMISSION_SPIRE_TIMEOUT_MS = 2_000;

export async function startPodAdmission(runtime: Runtime): Promise<ServedApp[]> {
  const { logger } = runtime;
  const config = plannerModeConfig(runtime.config, "pod-admission");
  const alias = webhookAliasEntry(config);
  const ensured = await runtime.spire.createEntries([alias]);
  const result = ensured.ok ? ensured.value[0] : undefined;
  if (result?.ok)
    logger.info({ spiffe_id: alias.spiffeId, entry_id: result.entry.id }, "cluster node alias entry ready");
  else {
    const reason = ensured.ok ? (result && !result.ok ? result.message : "no result") : ensured.error.message;
    logger.error(
      `could not ensure the cluster node alias entry ${alias.spiffeId} (the next resync will): ${reason}`,
    );
  }
  const app = createApp({
    config,
    // Concurrent admissions share one BatchCreateEntry instead of one RPC each.
    spire: coalesceWrites(runtime.spireWithTimeout(ADMISSION_SPIRE_TIMEOUT_MS)),
    isOwned: webhookOwnership(config),
    logger,
    readiness: runtime.readiness,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  });
  const files = {
    certPath: config.certPath,
    keyPath: config.keyPath,
    ...(config.insecureSkipClientVerification ? {} : { caCertPath: config.caCertPath }),
    origin: {
      certKey: "cert_path",
      keyKey: "key_path",
      caKey: "cacert_path",
      hint: "registrar generate-config makes these files (docs/webhook-mode.md)",
    },
  };
  return [
    await serveTls(app, {
      addr: config.addr,
      files,
      logger,
      name: "pod-admission",
      limits: { maxBodyBytes: config.maxRequestBytes },
    }),
  ];
}
