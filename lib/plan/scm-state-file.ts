/**
 * cluster-spiffeid mode's `--cluster-state` file: what `kubectl get` prints for SCM's three custom resources
 * and the Pods, Namespaces, Nodes and EndpointSlices a full pass reads, held as the full pass holds them
 * (lib/scm-sync/cluster.ts: `metadata` without managedFields, `spec`, and the custom resources' `status`).
 */
import type { ClusterState, CustomResourceJson, KubeObjectJson, PodJson } from "../scm/index.js";
import { type EndpointSliceJson, servicesByPodUidFromSlices, trimObject } from "../scm-sync/cluster.js";
import { type FileResult, parseKubeList } from "./state-files.js";

/** The command whose output `--cluster-state` takes in cluster-spiffeid mode. */
export const SCM_STATE_COMMAND =
  "kubectl get clusterspiffeids,clusterstaticentries,clusterfederatedtrustdomains,pods,namespaces,nodes,endpointslices -A -o json";

export interface ScmStateFile {
  /** What the entries pass reads. */
  readonly cluster: ClusterState;
  /** What the federation pass reads. */
  readonly clusterFederatedTrustDomains: readonly CustomResourceJson[];
  /** What in the file would make the plan differ from the cluster's (a kind left out of the command). */
  readonly warnings: readonly string[];
}

export function parseScmClusterState(text: string, path: string): FileResult<ScmStateFile> {
  const parsed = parseKubeList(text, path);
  if (!parsed.ok) return parsed;
  const byKind = parsed.value;
  const take = <T>(kind: string, keepStatus: boolean): T[] => {
    const items = (byKind.get(kind) ?? []) as KubeObjectJson[];
    byKind.delete(kind);
    return items.map((item) => trimObject(item, keepStatus) as T);
  };
  const clusterSpiffeIds = take<CustomResourceJson>("ClusterSPIFFEID", true);
  const clusterStaticEntries = take<CustomResourceJson>("ClusterStaticEntry", true);
  const clusterFederatedTrustDomains = take<CustomResourceJson>("ClusterFederatedTrustDomain", true);
  const pods = take<PodJson>("Pod", false);
  const namespaces = take<KubeObjectJson>("Namespace", false);
  const nodes = take<KubeObjectJson>("Node", false);
  const slices = (byKind.get("EndpointSlice") ?? []) as EndpointSliceJson[];
  byKind.delete("EndpointSlice");

  const warnings: string[] = [];
  const missing = (kind: string, consequence: string) =>
    warnings.push(`${path} lists no ${kind} objects: ${consequence} (list them with: ${SCM_STATE_COMMAND})`);
  if (namespaces.length === 0 && (pods.length > 0 || clusterSpiffeIds.length > 0))
    missing("Namespace", "no ClusterSPIFFEID selects any pod, and the plan deletes every pod entry");
  if (nodes.length === 0 && pods.length > 0)
    missing("Node", "no pod entry renders (SCM needs each pod's node)");
  const autoPopulates = clusterSpiffeIds.some(
    (resource) =>
      (resource.spec as { autoPopulateDNSNames?: unknown } | undefined)?.autoPopulateDNSNames === true,
  );
  if (slices.length === 0 && autoPopulates)
    missing("EndpointSlice", "autoPopulateDNSNames adds no Service DNS names");
  for (const [kind, items] of byKind)
    warnings.push(
      `${path}: ${items.length} ${kind} object(s) ignored (cluster-spiffeid mode does not read them)`,
    );

  return {
    ok: true,
    value: {
      cluster: {
        clusterSpiffeIds,
        clusterStaticEntries,
        namespaces,
        nodes,
        pods,
        servicesByPodUid: servicesByPodUidFromSlices(slices),
      },
      clusterFederatedTrustDomains,
      warnings,
    },
  };
}
