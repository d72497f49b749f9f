/**
 * Writes the cluster's pods, nodes and endpoints as one `kubectl get pods,nodes,endpoints -A -o
 * json`-style v1 List (kind and apiVersion on every item), for `registrar plan` tests. The objects
 * are read as raw JSON so the file holds exactly what the API server serves.
 */
import { writeFile } from "node:fs/promises";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";

const COLLECTIONS = [
  { resource: "pods", path: "/api/v1/pods", kind: "Pod" },
  { resource: "nodes", path: "/api/v1/nodes", kind: "Node" },
  { resource: "endpoints", path: "/api/v1/endpoints", kind: "Endpoints" },
] as const;

/** Lists every pod, node and Endpoints object (paged) and writes them to `path`; returns the item count. */
export async function writeClusterState(client: KubeClient, path: string): Promise<number> {
  const items: Record<string, unknown>[] = [];
  for (const collection of COLLECTIONS) {
    const call = { verb: "list", resource: collection.resource };
    const listed = await client.list<Record<string, unknown>>(call, collection.path);
    for (const item of listed.items) items.push({ apiVersion: "v1", kind: collection.kind, ...item });
  }
  await writeFile(
    path,
    `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items }, null, 2)}\n`,
  );
  return items.length;
}
