/**
 * The inputs every mode's `registrar plan` shares: files read with their path in the error, and SPIRE's
 * entries read live, read-only, only from a server of the configured trust domain.
 */
import { readFileSync } from "node:fs";
import type { Config } from "../../lib/config/config.js";
import type { FileResult } from "../../lib/plan/state-files.js";
import type { Entry } from "../../lib/planner/entry.js";

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

/**
 * Live entries, read-only. A plan is only as true as the entries it is compared with, so a server
 * that cannot be read, or one of another trust domain, ends the command instead of planning
 * against nothing.
 */
export async function readLiveEntries(config: Config): Promise<Entry[]> {
  const pino = (await import("pino")).default;
  const { createSpireClient } = await import("../../lib/spire/client.js");
  const { createSpireTransport } = await import("../../lib/spire/create-transport.js");
  const { checkServerTrustDomain } = await import("../../lib/spire/server-trust-domain.js");
  const logger = pino({ level: "silent" });
  const transport = createSpireTransport({ ...config, logger });
  if (!transport.ok) throw cannotReadEntries(transport.error);
  const client = createSpireClient({
    transport: transport.value,
    logger,
    timeoutMs: config.spireTimeoutMs,
    retry: { maxAttempts: 1 },
  });
  try {
    const checked = await checkServerTrustDomain(client, config.trustDomain);
    if (!checked.ok) throw cannotReadEntries(checked.error.message);
    const listed = await client.listEntries();
    if (!listed.ok) throw cannotReadEntries(listed.error.message);
    return listed.value;
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
