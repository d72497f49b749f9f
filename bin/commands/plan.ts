/**
 * `registrar plan`: a dry run of a resync. Reads the cluster (a state file or the live API server)
 * and SPIRE's entries (a file, the live server read-only, or none), and prints what a resync would
 * create, update and delete. Nothing is written anywhere.
 */
import { readFileSync } from "node:fs";
import type { Config } from "../../lib/config/config.js";
import { loadConfig } from "../../lib/config/parse-config.js";
import { planToJson, planToTable } from "../../lib/plan/format-plan.js";
import { type FileResult, parseClusterState, parseEntries } from "../../lib/plan/state-files.js";
import { diff } from "../../lib/planner/diff.js";
import type { Entry } from "../../lib/planner/entry.js";
import type { ClusterSnapshot } from "../../lib/planner/k8s-objects.js";
import { ownershipFor } from "../../lib/planner/ownership.js";
import { describeRef } from "../../lib/planner/warning.js";
import { deriveDesired } from "../../lib/reconcile/context.js";
import { type CliIo, type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";
import { DEFAULT_CONFIG_PATH } from "./check-config.js";

export const usage = `usage: registrar plan [-config FILE] [--cluster-state FILE] [--entries FILE] [--output table|json] [--kubeconfig FILE]

Print what a resync would do, without writing anything.

  -config FILE          configuration file (default "${DEFAULT_CONFIG_PATH}")
  --cluster-state FILE  JSON of "kubectl get pods,nodes,endpoints -A -o json"; absent: read the live cluster
  --entries FILE        JSON of "spire-server entry show -output json"; absent: read the live SPIRE
                        server when it is reachable, else plan against no entries
  --output FORMAT       table (default) or json: {"create":[E],"update":[E],"delete":[E]}
  --kubeconfig FILE     kubeconfig for the live cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)
`;

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    config: { takesValue: true },
    "cluster-state": { takesValue: true },
    entries: { takesValue: true },
    output: { takesValue: true },
    kubeconfig: { takesValue: true },
    help: { takesValue: false },
    h: { takesValue: false },
  });
  const output = flags.ok ? (flags.value.values.get("output") ?? "table") : "table";
  if (!flags.ok || flags.value.positionals.length > 0 || (output !== "table" && output !== "json")) {
    const reason = !flags.ok
      ? flags.error
      : flags.value.positionals.length > 0
        ? `unexpected argument: ${flags.value.positionals[0]}`
        : `--output must be table or json, not ${JSON.stringify(output)}`;
    io.stderr.write(`registrar plan: ${reason}\n${USAGE_LINE}\n${usage}`);
    return USAGE_EXIT_CODE;
  }
  const _values = flags.value.values;
  if (wantsHelp(flags.value)) {
    io.stdout.write(usage);
    return 0;
  }
  const text = (name: string) => stringFlag(flags.value, name);

  const loaded = loadConfig(text("config") ?? DEFAULT_CONFIG_PATH);
  if (!loaded.ok) return fail(io, loaded.error);
  for (const warning of loaded.value.warnings) io.stderr.write(`warning: ${warning}\n`);
  const config = loaded.value.config;
  if (config.mode === "crd") return fail(io, ["registrar plan: crd mode is not supported yet"]);

  try {
    const clusterFile = text("cluster-state");
    const snapshot = clusterFile
      ? unwrap(parseClusterState(readText(clusterFile), clusterFile))
      : await readLiveCluster(config, text("kubeconfig"));
    const entriesFile = text("entries");
    const entries = entriesFile
      ? unwrap(parseEntries(readText(entriesFile), entriesFile))
      : await readLiveEntries(config, io);

    const derivation = deriveDesired(snapshot, config);
    for (const warning of derivation.warnings)
      io.stderr.write(`warning: ${describeRef(warning.object)}: ${warning.message}\n`);
    const plan = diff(derivation.desired, entries, ownershipFor(config));
    io.stdout.write(output === "json" ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : planToTable(plan));
    return 0;
  } catch (error) {
    return fail(io, [error instanceof Error ? error.message : String(error)]);
  }
};

function fail(io: CliIo, messages: readonly string[]): number {
  for (const message of messages) io.stderr.write(`${message}\n`);
  return 1;
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function unwrap<T>(result: FileResult<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

async function readLiveCluster(config: Config, kubeconfigPath: string | undefined): Promise<ClusterSnapshot> {
  const { loadKubeConfig } = await import("../../lib/k8s/kubeconfig.js");
  const { createClusterReader } = await import("../../lib/k8s/reader.js");
  const reader = createClusterReader(loadKubeConfig(kubeconfigPath));
  const [pods, nodes, endpoints] = await Promise.all([
    reader.listPods(),
    config.mode === "reconcile" ? reader.listNodes() : [],
    config.mode === "reconcile" && config.addPodDnsNames ? reader.listEndpoints() : [],
  ]);
  return { pods, nodes, endpoints };
}

/** Live entries, read-only; an unreachable server means "no entries" with a note on stderr. */
async function readLiveEntries(config: Config, io: CliIo): Promise<Entry[]> {
  const pino = (await import("pino")).default;
  const { createSpireClient } = await import("../../lib/spire/client.js");
  const { createSpireTransport } = await import("../../lib/spire/create-transport.js");
  const logger = pino({ level: "silent" });
  const transport = createSpireTransport({ ...config, logger });
  if (!transport.ok) throw new Error(transport.error);
  const client = createSpireClient({
    transport: transport.value,
    logger,
    timeoutMs: config.spireTimeoutMs,
    retry: { maxAttempts: 1 },
  });
  try {
    const listed = await client.listEntries();
    if (listed.ok) return listed.value;
    if (listed.error.kind === "socket-missing" || listed.error.kind === "unavailable") {
      io.stderr.write(
        `note: SPIRE server not reachable (${listed.error.message}); planning against no entries\n`,
      );
      return [];
    }
    throw listed.error;
  } finally {
    client.close();
  }
}
