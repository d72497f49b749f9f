/**
 * `registrar plan`: a dry run of a resync. Reads the cluster (a state file or the live API server)
 * and SPIRE's entries (a file, the live server read-only, or none), and prints what a resync would
 * create, update and delete. Nothing is written anywhere.
 */

import type { Config } from "../../lib/config/config.js";
import { isPlannerMode } from "../../lib/config/config.js";
import { loadConfig } from "../../lib/config/parse-config.js";
import { planCrd } from "../../lib/plan/crd-plan.js";
import { crdPlanToJson, crdPlanToTable, planToJson, planToTable } from "../../lib/plan/format-plan.js";
import { SCM_STATE_COMMAND } from "../../lib/plan/scm-state-file.js";
import {
  type ClusterState,
  ENDPOINTS_KIND,
  parseClusterState,
  parseEntries,
} from "../../lib/plan/state-files.js";
import { diff } from "../../lib/planner/diff.js";
import { ownershipFor } from "../../lib/planner/ownership.js";
import { SPIFFEID_KIND, type SpiffeId } from "../../lib/planner/spiffeid.js";
import { describeRef, type Warning } from "../../lib/planner/warning.js";
import { deriveDesired } from "../../lib/reconcile/context.js";
import { configPathOr } from "../../lib/runtime/config-path.js";
import { ownNamespace } from "../../lib/runtime/namespace.js";
import { type CliIo, type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";
import { readLiveEntries, readText, unwrap } from "../plan/inputs.js";
import { CONFIG_DEFAULT_TEXT } from "./check-config.js";

const DEFAULT_REGISTRAR_NAMESPACE = "spire";

export const usage = `usage: registrar plan [-config FILE] [--cluster-state FILE] [--entries FILE] [--federation FILE] [--output table|json] [--kubeconfig FILE] [--namespace NS]

Print what a resync would do, without writing anything.

  -config FILE          configuration file (default: ${CONFIG_DEFAULT_TEXT})
  --cluster-state FILE  JSON of "kubectl get pods,nodes,endpointslices -A -o json" (crd mode: also
                        spiffeids; endpoints_source = "endpoints": endpoints instead of endpointslices;
                        cluster-spiffeid mode: "${SCM_STATE_COMMAND}");
                        absent: read the live cluster
  --entries FILE        JSON of "spire-server entry show -output json"; absent: read the live SPIRE
                        server (exit 1 when it cannot be read or serves another trust domain)
  --federation FILE     cluster-spiffeid mode: JSON of "spire-server federation list -output json"; absent:
                        read the live SPIRE server
  --output FORMAT       table (default) or json: {"create":[E],"update":[E],"delete":[E]}; crd mode adds
                        "spiffeIds": {"create","update","delete"} for the SpiffeID resources; cluster-spiffeid
                        mode adds "unchanged", "ownership", "federation", "renderFailures", "invalid",
                        "statuses" and "notes"
  --namespace NS        crd mode: the registrar's namespace, where node SpiffeIDs live
                        (default: MY_POD_NAMESPACE, else "${DEFAULT_REGISTRAR_NAMESPACE}")
  --kubeconfig FILE     kubeconfig for the live cluster (default: KUBECONFIG, ~/.kube/config, in-cluster)
`;

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    config: { takesValue: true },
    "cluster-state": { takesValue: true },
    entries: { takesValue: true },
    federation: { takesValue: true },
    output: { takesValue: true },
    kubeconfig: { takesValue: true },
    namespace: { takesValue: true },
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

  const loaded = loadConfig(configPathOr(text("config"), io.env));
  if (!loaded.ok) return fail(io, loaded.error);
  for (const warning of loaded.value.warnings) io.stderr.write(`warning: ${warning}\n`);
  const config = loaded.value.config;

  try {
    if (!isPlannerMode(config)) {
      // lib/scm (templates, RE2) loads only for this mode.
      const { planClusterSpiffeIdMode } = await import("../plan/cluster-spiffeid.js");
      return await planClusterSpiffeIdMode(
        config,
        {
          clusterStateFile: text("cluster-state"),
          entriesFile: text("entries"),
          federationFile: text("federation"),
          kubeconfigPath: text("kubeconfig"),
          output,
        },
        io,
      );
    }
    if (text("federation") !== undefined)
      io.stderr.write(
        `warning: --federation is read only in mode "cluster-spiffeid" (mode is "${config.mode}")\n`,
      );
    const clusterFile = text("cluster-state");
    const state = clusterFile
      ? unwrap(parseClusterState(readText(clusterFile), clusterFile, config.endpointsSource))
      : await readLiveCluster(config, text("kubeconfig"), io.env);
    const sourceWarning = clusterFile ? otherSourceWarning(state, clusterFile, config) : undefined;
    if (sourceWarning) io.stderr.write(`warning: ${sourceWarning}\n`);
    const entriesFile = text("entries");
    const entries = entriesFile
      ? unwrap(parseEntries(readText(entriesFile), entriesFile))
      : await readLiveEntries(config);

    const warn = (warnings: readonly Warning[]) => {
      for (const warning of warnings)
        io.stderr.write(`warning: ${describeRef(warning.object)}: ${warning.message}\n`);
    };
    if (config.mode === "crd") {
      const plan = planCrd({
        snapshot: state,
        spiffeIds: (state.others.get(SPIFFEID_KIND) ?? []) as SpiffeId[],
        entries,
        config,
        registrarNamespace: text("namespace") ?? ownNamespace("", io.env) ?? DEFAULT_REGISTRAR_NAMESPACE,
      });
      warn(plan.warnings);
      io.stdout.write(
        output === "json" ? `${JSON.stringify(crdPlanToJson(plan), null, 2)}\n` : crdPlanToTable(plan),
      );
      return 0;
    }
    const derivation = deriveDesired(state, config);
    warn(derivation.warnings);
    const plan = diff(derivation.desired, entries, ownershipFor(config));
    io.stdout.write(output === "json" ? `${JSON.stringify(planToJson(plan), null, 2)}\n` : planToTable(plan));
    return 0;
  } catch (error) {
    return fail(io, [error instanceof Error ? error.message : String(error)]);
  }
};

/** Whether the mode derives DNS names from Services' endpoints. */
function usesServiceNames(config: Config): boolean {
  return (
    (config.mode === "reconcile" && config.addPodDnsNames) || (config.mode === "crd" && config.addSvcDnsName)
  );
}

/**
 * A state file with only the other API's objects (`kubectl get pods,nodes,endpoints` while
 * `endpoints_source` is "endpointslices") would plan every Service name away: say so.
 */
function otherSourceWarning(state: ClusterState, file: string, config: Config): string | undefined {
  const source = config.endpointsSource;
  const other = source === "endpointslices" ? "endpoints" : "endpointslices";
  if (!usesServiceNames(config) || state.endpoints.length > 0 || !state.others.has(ENDPOINTS_KIND[other]))
    return undefined;
  return `${file} lists ${ENDPOINTS_KIND[other]} objects but no ${ENDPOINTS_KIND[source]}, and endpoints_source is "${source}": the plan has no Service DNS names (list ${source} with kubectl, or set endpoints_source = "${other}")`;
}

function fail(io: CliIo, messages: readonly string[]): number {
  for (const message of messages) io.stderr.write(`${message}\n`);
  return 1;
}

async function readLiveCluster(
  config: Config,
  kubeconfigPath: string | undefined,
  env: CliIo["env"],
): Promise<ClusterState> {
  const { loadKubeconfig } = await import("../../lib/k8s/kubeconfig.js");
  const { createKubeClient } = await import("../../lib/k8s/kube-client.js");
  const { createClusterReader } = await import("../../lib/k8s/reader.js");
  const { serviceEndpointsReader } = await import("../../lib/k8s/service-endpoints.js");
  const target = loadKubeconfig({ env, ...(kubeconfigPath ? { path: kubeconfigPath } : {}) });
  if (!target.ok) throw new Error(target.error);
  const client = createKubeClient(target.value);
  try {
    const reader = createClusterReader(client);
    const crd = config.mode === "crd";
    const [pods, nodes, endpoints, spiffeIds] = await Promise.all([
      reader.listPods(),
      config.mode === "reconcile" || (crd && config.podController) ? reader.listNodes() : [],
      usesServiceNames(config) ? serviceEndpointsReader(reader, config.endpointsSource).all() : [],
      crd
        ? import("../../lib/k8s/spiffeids.js").then(({ createSpiffeIdApi }) =>
            createSpiffeIdApi(client).list(),
          )
        : [],
    ]);
    return { pods, nodes, endpoints, others: new Map([[SPIFFEID_KIND, spiffeIds]]) };
  } finally {
    client.close();
  }
}
