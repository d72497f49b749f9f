/**
 * SCM's cluster domain when none is configured: the canonical name of `kubernetes.default.svc` as the pod's
 * resolver expands it (Go's LookupCNAME answers `kubernetes.default.svc.cluster.local.`), which
 * `clusterDomainFromCname` turns into `cluster.local`. Here the expansion is the first search domain of
 * /etc/resolv.conf under which the name resolves. Failing that, SCM logs an error and uses "" (no
 * `<svc>.<ns>.svc.<domain>` DNS names), and so does this.
 */

import { lookup } from "node:dns/promises";
import { readFile } from "node:fs/promises";
import type { Logger } from "pino";
import { clusterDomainFromCname } from "../scm/index.js";

const NAME = "kubernetes.default.svc";

export async function lookupClusterDomain(
  logger: Logger,
  resolvConfPath = "/etc/resolv.conf",
): Promise<string> {
  let searchDomains: string[] = [];
  try {
    const text = await readFile(resolvConfPath, "utf8");
    const line = text.split("\n").find((candidate) => /^\s*search\s/.test(candidate));
    searchDomains = line?.trim().split(/\s+/).slice(1) ?? [];
  } catch {
    // No resolver configuration: the lookup fails below.
  }
  for (const domain of searchDomains) {
    const candidate = `${NAME}.${domain.replace(/\.$/, "")}`;
    try {
      await lookup(candidate);
    } catch {
      continue;
    }
    const parsed = clusterDomainFromCname(`${candidate}.`);
    if (parsed.ok) {
      logger.info({ cluster_domain: parsed.value }, "cluster domain looked up");
      return parsed.value;
    }
  }
  logger.error(
    `unable to look up the cluster domain (no search domain of ${resolvConfPath} resolves ${NAME}); set cluster_domain`,
  );
  return "";
}

/** The configured domain, or the looked-up one (looked up once, on first use). */
export function clusterDomainSource(configured: string, logger: Logger): () => Promise<string> {
  if (configured !== "") return () => Promise.resolve(configured);
  let looked: Promise<string> | undefined;
  return () => {
    looked ??= lookupClusterDomain(logger);
    return looked;
  };
}
