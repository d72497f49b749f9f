/**
 * The Kubernetes reads of a full pass: the custom resources its config reconciles, and the namespaces, nodes,
 * pods and Services by pod the entries pass needs; nothing for a pass the config turns off.
 */
import {
  type ClassFilter,
  type ClusterState,
  type CustomResourceJson,
  classNameOf,
  inClass,
  type ScmConfig,
} from "../scm/index.js";
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

/**
 * Whether any ClusterSPIFFEID of the class has `autoPopulateDNSNames`: only then do the Services targeting
 * pods (EndpointSlices) matter.
 */
export function needsServices(clusterSpiffeIds: readonly CustomResourceJson[], filter: ClassFilter): boolean {
  return clusterSpiffeIds.some((resource) => {
    const spec = resource.spec as { autoPopulateDNSNames?: unknown } | null | undefined;
    return inClass(classNameOf(resource), filter) && spec?.autoPopulateDNSNames === true;
  });
}

/** What the entries pass reads (empty when it does not run); EndpointSlices only when `needsServices`. */
export async function readEntriesPassState(
  cluster: ScmCluster,
  config: Pick<ScmConfig, "reconcile" | "className" | "watchClassless">,
): Promise<ClusterState> {
  if (!entriesPassEnabled(config)) return NO_STATE;
  const listedSpiffeIds = config.reconcile.clusterSPIFFEIDs
    ? cluster.listCustomResources("clusterspiffeids")
    : Promise.resolve([]);
  const [clusterSpiffeIds, clusterStaticEntries, namespaces, nodes, pods, servicesByPodUid] =
    await Promise.all([
      listedSpiffeIds,
      config.reconcile.clusterStaticEntries ? cluster.listCustomResources("clusterstaticentries") : [],
      cluster.listNamespaces(),
      cluster.listNodes(),
      cluster.listPods(),
      listedSpiffeIds.then((resources) =>
        needsServices(resources, config) ? cluster.servicesByPodUid() : new Map(),
      ),
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
