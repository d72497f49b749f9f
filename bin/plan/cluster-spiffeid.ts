/**
 * `registrar plan` in cluster-spiffeid mode: the cluster (a `kubectl get` file, or the live API server read
 * as the full pass reads it), SPIRE's entries and federation relationships (files, or the live server),
 * planned by the full pass's own decisions
 * (lib/plan/cluster-spiffeid-plan.ts). Nothing is written anywhere.
 */
import type { Config } from "../../lib/config/config.js";
import { planClusterSpiffeId } from "../../lib/plan/cluster-spiffeid-plan.js";
import { scmPlanToJson, scmPlanToTable } from "../../lib/plan/format-cluster-spiffeid-plan.js";
import { parseScmClusterState, type ScmStateFile } from "../../lib/plan/scm-state-file.js";
import { parseEntries, parseFederationRelationships } from "../../lib/plan/state-files.js";
import type { CustomResourceJson, ScmConfig } from "../../lib/scm/index.js";
import { federationPassEnabled } from "../../lib/scm-sync/plan-pass.js";
import type { CliIo } from "../cli-io.js";
import { readLiveSpire, readText, unwrap } from "./inputs.js";

export interface ClusterSpiffeIdPlanOptions {
  readonly clusterStateFile: string | undefined;
  readonly entriesFile: string | undefined;
  readonly federationFile: string | undefined;
  readonly kubeconfigPath: string | undefined;
  readonly output: "table" | "json";
}

/** Prints the plan; throws (with the message to print) when an input cannot be read. */
export async function planClusterSpiffeIdMode(
  config: Config,
  options: ClusterSpiffeIdPlanOptions,
  io: CliIo,
): Promise<number> {
  const scm = config.clusterSpiffeId;
  if (scm === undefined)
    throw new Error('mode "cluster-spiffeid" without its settings (a bug: see lib/config)');
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  const file = options.clusterStateFile;
  const state = file
    ? unwrap(parseScmClusterState(readText(file), file))
    : await readLiveCluster(scm, options.kubeconfigPath, io.env);
  for (const warning of state.warnings) warn(warning);
  const { entriesFile, federationFile } = options;
  const fromFiles = {
    entries: entriesFile ? unwrap(parseEntries(readText(entriesFile), entriesFile)) : undefined,
    relationships: federationFile
      ? unwrap(parseFederationRelationships(readText(federationFile), federationFile))
      : undefined,
  };
  const live = await readLiveSpire(config, {
    entries: fromFiles.entries === undefined,
    relationships: fromFiles.relationships === undefined && federationPassEnabled(scm),
  });
  const entries = fromFiles.entries ?? live.entries ?? [];
  const relationships = fromFiles.relationships ?? live.relationships;
  const clusterDomain = await passClusterDomain(scm);
  if (clusterDomain === "" && state.cluster.clusterSpiffeIds.some(usesClusterDomain))
    warn(
      "cluster_domain is empty and kubernetes.default.svc does not resolve here: DNS names and .ClusterDomain render without a cluster domain (set cluster_domain to plan what the functions in the cluster write)",
    );

  const plan = planClusterSpiffeId(
    {
      cluster: state.cluster,
      clusterFederatedTrustDomains: state.clusterFederatedTrustDomains,
      entries,
      relationships,
      clusterDomain,
    },
    scm,
  );
  io.stdout.write(
    options.output === "json" ? `${JSON.stringify(scmPlanToJson(plan), null, 2)}\n` : scmPlanToTable(plan),
  );
  return 0;
}

/** The cluster as a full pass reads it (the kinds its config reconciles), through the project's KubeClient. */
async function readLiveCluster(
  config: ScmConfig,
  kubeconfigPath: string | undefined,
  env: CliIo["env"],
): Promise<ScmStateFile> {
  const { loadKubeconfig } = await import("../../lib/k8s/kubeconfig.js");
  const { createKubeClient } = await import("../../lib/k8s/kube-client.js");
  const { createScmCluster } = await import("../../lib/scm-sync/cluster.js");
  const { readEntriesPassState, readFederationPassResources } = await import(
    "../../lib/scm-sync/full-pass-state.js"
  );
  const target = loadKubeconfig({ env, ...(kubeconfigPath ? { path: kubeconfigPath } : {}) });
  if (!target.ok) throw new Error(target.error);
  const client = createKubeClient(target.value);
  try {
    const cluster = createScmCluster(client);
    const [state, clusterFederatedTrustDomains] = await Promise.all([
      readEntriesPassState(cluster, config),
      readFederationPassResources(cluster, config),
    ]);
    return { cluster: state, clusterFederatedTrustDomains, warnings: [] };
  } finally {
    client.close();
  }
}

/** The configured cluster domain, or the one the resync would look up (SCM's rule; "" when unknown). */
async function passClusterDomain(config: ScmConfig): Promise<string> {
  if (config.clusterDomain !== "") return config.clusterDomain;
  const pino = (await import("pino")).default;
  const { clusterDomainSource } = await import("../../lib/scm-sync/cluster-domain.js");
  return clusterDomainSource("", pino({ level: "silent" }))();
}

/** Whether a ClusterSPIFFEID's entries depend on the cluster domain. */
function usesClusterDomain(resource: CustomResourceJson): boolean {
  const spec = resource.spec as { autoPopulateDNSNames?: unknown } | undefined;
  return spec?.autoPopulateDNSNames === true || JSON.stringify(spec ?? {}).includes("ClusterDomain");
}
