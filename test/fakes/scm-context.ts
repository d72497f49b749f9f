/** cluster-spiffeid mode's settings and context for component tests. */
import pino from "pino";
import { parseScmConfig, type ScmConfig } from "../../lib/scm/index.js";
import type { ScmSyncContext } from "../../lib/scm-sync/context.js";
import { createSpireClient } from "../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { createTrustDomainClient } from "../../lib/spire/trust-domain-client.js";

/** A ControllerManagerConfig with the trust domain, cluster name and `extra` YAML lines, checked by SCM's rules. */
export function scmSettings(trustDomain: string, clusterName: string, extra = ""): ScmConfig {
  const parsed = parseScmConfig(
    `apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\ntrustDomain: ${trustDomain}\nclusterName: ${clusterName}\n${extra}`,
  );
  if (!parsed.ok) throw new Error(parsed.error.join("\n"));
  return parsed.value.config;
}

/**
 * A context over the given cluster, SPIRE and federation: a silent logger, UUIDs counting up from
 * `00000000-0000-4000-8000-000000000001`, cluster domain `cluster.local`, every probed field supported.
 */
export function scmTestContext(
  parts: Pick<ScmSyncContext, "config" | "cluster" | "spire" | "federation">,
): ScmSyncContext {
  let uuids = 0;
  return {
    ...parts,
    logger: pino({ level: "silent" }),
    newUuid: () => `00000000-0000-4000-8000-${String(++uuids).padStart(12, "0")}`,
    clusterDomain: async () => "cluster.local",
    unsupportedFields: new Set(),
    now: Date.now,
    passedGenerations: new Map(),
  };
}

/** The entry and trust domain clients on one SPIRE socket (a fake server's), logging nothing. */
export function scmSpireClients(socketPath: string) {
  const transport = createUnixSocketTransport(socketPath);
  const logger = pino({ level: "silent" });
  return {
    spire: createSpireClient({ transport, logger }),
    trustDomains: createTrustDomainClient({ transport, logger }),
  };
}
