/**
 * The Kubernetes reads of a full pass: the custom resources its config reconciles, and the namespaces, nodes,
 * pods and Services by pod the entries pass needs; nothing for a pass the config turns off.
 */
import type { ClusterState, CustomResourceJson, ScmConfig } from "../scm/index.js";
import type { ScmCluster } from "./cluster.js";
import { entriesPassEnabled, federationPassEnabled } from "./plan-pass.js";

const NO_STATE: ClusterState = {
  clusterSpiffeIds: [],
  clusterStaticEntries: [],
  namespaces: [],
  nodes: [],
  pods: [],
  servicesByPodUid: new Map(),
};

/** What the entries pass reads (empty when it does not run). */
export async function readEntriesPassState(
  cluster: ScmCluster,
  config: Pick<ScmConfig, "reconcile">,
): Promise<ClusterState> {
  if (!entriesPassEnabled(config)) return NO_STATE;
  const [clusterSpiffeIds, clusterStaticEntries, namespaces, nodes, pods, servicesByPodUid] =
    await Promise.all([
      config.reconcile.clusterSPIFFEIDs ? cluster.listCustomResources("clusterspiffeids") : [],
      config.reconcile.clusterStaticEntries ? cluster.listCustomResources("clusterstaticentries") : [],
      cluster.listNamespaces(),
      cluster.listNodes(),
      cluster.listPods(),
      cluster.servicesByPodUid(),
    ]);
  return { clusterSpiffeIds, clusterStaticEntries, namespaces, nodes, pods, servicesByPodUid };
}

/** What the federation pass reads from Kubernetes (nothing when it does not run). */
export async function readFederationPassResources(
  cluster: ScmCluster,
  config: Pick<ScmConfig, "reconcile">,
): Promise<CustomResourceJson[]> {
  return federationPassEnabled(config) ? cluster.listCustomResources("clusterfederatedtrustdomains") : [];
}
