/**
 * Writes the cluster's pods, nodes, EndpointSlices and Endpoints as one `kubectl get
 * pods,nodes,endpointslices,endpoints -A -o json`-style v1 List (kind and apiVersion on every item),
 * for `registrar plan` tests. The objects are read as raw JSON so the file holds exactly what the API
 * server serves.
 */
import { writeFile } from "node:fs/promises";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";

const COLLECTIONS = [
  { resource: "pods", path: "/api/v1/pods", apiVersion: "v1", kind: "Pod" },
  { resource: "nodes", path: "/api/v1/nodes", apiVersion: "v1", kind: "Node" },
  {
    resource: "endpointslices",
    path: "/apis/discovery.k8s.io/v1/endpointslices",
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
  },
  { resource: "endpoints", path: "/api/v1/endpoints", apiVersion: "v1", kind: "Endpoints" },
] as const;

/** Lists every object of those collections (paged) and writes them to `path`; returns the item count. */
export async function writeClusterState(client: KubeClient, path: string): Promise<number> {
  const items: Record<string, unknown>[] = [];
  for (const collection of COLLECTIONS) {
    const call = { verb: "list", resource: collection.resource };
    const listed = await client.list<Record<string, unknown>>(call, collection.path);
    for (const item of listed.items) {
      items.push({ apiVersion: collection.apiVersion, kind: collection.kind, ...item });
    }
  }
  await writeFile(
    path,
    `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items }, null, 2)}\n`,
  );
  return items.length;
}
