/**
 * `registrar bootstrap-entries`: prints the `spire-server entry create` commands that give the
 * registrar's functions their own admin identity for the mTLS path (lib/bootstrap). Nothing is
 * written anywhere; run the printed commands where spire-server runs.
 */
import {
  bootstrapEntries,
  entryCreateCommands,
  KNATIVE_SERVICE_ACCOUNTS,
} from "../../lib/bootstrap/bootstrap-entries.js";
import { loadConfig } from "../../lib/config/parse-config.js";
import { serverId } from "../../lib/planner/registrar-ids.js";
import { configPathOr } from "../../lib/runtime/config-path.js";
import { type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";
import { CONFIG_DEFAULT_TEXT } from "./check-config.js";

const DEFAULT_NAMESPACE = "spire";

export const usage = `usage: registrar bootstrap-entries [-config FILE] [--namespace NS] [--service-accounts A,B]

Print the spire-server commands that create the registrar's own entries for the mTLS path: a node
alias for every agent of the cluster (k8s_psat:cluster:<cluster>) and one admin entry per
ServiceAccount the functions run as. No resync deletes them (they are outside every mode's entries).

  -config FILE              configuration file: trust_domain, cluster, mode (default: ${CONFIG_DEFAULT_TEXT})
  --namespace NS            the functions' namespace (default "${DEFAULT_NAMESPACE}")
  --service-accounts A,B    their ServiceAccounts (default: the Knative overlay's of the mode;
                            deploy/ runs one, k8s-workload-registrar)
`;

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    config: { takesValue: true },
    namespace: { takesValue: true },
    "service-accounts": { takesValue: true },
    help: { takesValue: false },
    h: { takesValue: false },
  });
  if (!flags.ok || flags.value.positionals.length > 0) {
    const reason = flags.ok ? `unexpected argument: ${flags.value.positionals[0]}` : flags.error;
    io.stderr.write(`registrar bootstrap-entries: ${reason}\n${USAGE_LINE}\n${usage}`);
    return USAGE_EXIT_CODE;
  }
  if (wantsHelp(flags.value)) {
    io.stdout.write(usage);
    return 0;
  }
  const text = (name: string) => stringFlag(flags.value, name);
  const loaded = loadConfig(configPathOr(text("config"), io.env));
  if (!loaded.ok) {
    for (const message of loaded.error) io.stderr.write(`${message}\n`);
    return 1;
  }
  for (const warning of loaded.value.warnings) io.stderr.write(`warning: ${warning}\n`);
  const { config } = loaded.value;
  const listed = text("service-accounts");
  const entries = bootstrapEntries({
    trustDomain: config.trustDomain,
    cluster: config.cluster,
    namespace: text("namespace") ?? DEFAULT_NAMESPACE,
    serviceAccounts:
      listed === undefined ? KNATIVE_SERVICE_ACCOUNTS[config.mode] : listed.split(",").map((s) => s.trim()),
  });
  const server = serverId(config.trustDomain);
  if (!entries.ok || !server.ok) {
    io.stderr.write(`registrar bootstrap-entries: ${entries.ok ? "invalid trust_domain" : entries.error}\n`);
    return 1;
  }
  io.stdout.write(
    `# The registrar's own entries (${config.mode} mode, cluster ${config.cluster}). Run where spire-server runs\n` +
      `# (add -socketPath when its socket is not the default); the agents need a few seconds to sync them.\n` +
      `${entryCreateCommands(entries.value, server.value).join("\n")}\n`,
  );
  return 0;
};
