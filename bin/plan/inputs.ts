/**
 * The inputs every mode's `registrar plan` shares: files read with their path in the error, and SPIRE's
 * entries (and federation relationships) read live, read-only, only from a server of the configured trust
 * domain.
 */
import { readFileSync } from "node:fs";
import type { Config } from "../../lib/config/config.js";
import type { FileResult } from "../../lib/plan/state-files.js";
import type { Entry } from "../../lib/planner/entry.js";
import type { FederationRelationship } from "../../lib/scm/index.js";

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The value, or a thrown Error with the file's message. */
export function unwrap<T>(result: FileResult<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** What `readLiveSpire` reads. */
export interface LiveSpire {
  readonly entries?: Entry[];
  readonly relationships?: FederationRelationship[];
}

/**
 * Live entries, read-only. A plan is only as true as the entries it is compared with, so a server
 * that cannot be read, or one of another trust domain, ends the command instead of planning
 * against nothing.
 */
export async function readLiveEntries(config: Config): Promise<Entry[]> {
  return (await readLiveSpire(config, { entries: true, relationships: false })).entries ?? [];
}

/**
 * SPIRE's entries and (cluster-spiffeid mode) federation relationships, as asked, over one connection to a
 * server checked to serve `trust_domain`; read-only. Nothing is dialled when nothing is asked.
 */
export async function readLiveSpire(
  config: Config,
  want: { readonly entries: boolean; readonly relationships: boolean },
): Promise<LiveSpire> {
  if (!want.entries && !want.relationships) return {};
  const pino = (await import("pino")).default;
  const { createSpireClient } = await import("../../lib/spire/client.js");
  const { createSpireTransport } = await import("../../lib/spire/create-transport.js");
  const { checkServerTrustDomain } = await import("../../lib/spire/server-trust-domain.js");
  const cannotRead = want.entries ? cannotReadEntries : cannotReadRelationships;
  const logger = pino({ level: "silent" });
  const transport = createSpireTransport({ ...config, logger });
  if (!transport.ok) throw cannotRead(transport.error);
  const rpc = {
    transport: transport.value,
    logger,
    timeoutMs: config.spireTimeoutMs,
    retry: { maxAttempts: 1 },
  };
  const client = createSpireClient(rpc);
  try {
    const checked = await checkServerTrustDomain(client, config.trustDomain);
    if (!checked.ok) throw cannotRead(checked.error.message);
    let entries: Entry[] | undefined;
    if (want.entries) {
      const listed = await client.listEntries();
      if (!listed.ok) throw cannotReadEntries(listed.error.message);
      entries = listed.value;
    }
    let relationships: FederationRelationship[] | undefined;
    if (want.relationships) {
      const { createTrustDomainClient } = await import("../../lib/spire/trust-domain-client.js");
      const listed = await createTrustDomainClient(rpc).listFederationRelationships();
      if (!listed.ok) throw cannotReadRelationships(listed.error.message);
      relationships = listed.value;
    }
    return { ...(entries ? { entries } : {}), ...(relationships ? { relationships } : {}) };
  } finally {
    client.close();
  }
}

function cannotReadEntries(reason: string): Error {
  return new Error(
    `registrar plan: cannot read the SPIRE server's entries: ${reason}\n` +
      `(to plan against a saved list instead, pass --entries FILE with the output of "spire-server entry show -output json")`,
  );
}

function cannotReadRelationships(reason: string): Error {
  return new Error(
    `registrar plan: cannot read the SPIRE server's federation relationships: ${reason}\n` +
      `(to plan against a saved list instead, pass --federation FILE with the output of "spire-server federation list -output json")`,
  );
}
