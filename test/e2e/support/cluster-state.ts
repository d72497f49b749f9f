/**
 * Writes the cluster's pods, nodes and endpoints as one `kubectl get pods,nodes,endpoints -A -o
 * json`-style v1 List (kind and apiVersion on every item), for `registrar plan` tests. The objects
 * are read as raw JSON so the file holds exactly what the API server serves (client-node's typed
 * models would turn timestamps into Dates).
 */
import { writeFile } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { getJson } from "../../../lib/bridge/get-json.js";

const COLLECTIONS = [
  { path: "/api/v1/pods", kind: "Pod" },
  { path: "/api/v1/nodes", kind: "Node" },
  { path: "/api/v1/endpoints", kind: "Endpoints" },
] as const;

interface ListJson {
  items?: Record<string, unknown>[];
  metadata?: { continue?: string };
}

/** Lists every pod, node and Endpoints object (paged) and writes them to `path`; returns the item count. */
export async function writeClusterState(kubeConfig: KubeConfig, path: string): Promise<number> {
  const items: Record<string, unknown>[] = [];
  for (const collection of COLLECTIONS) {
    let continueToken: string | undefined;
    do {
      const query = new URLSearchParams({ limit: "500" });
      if (continueToken) query.set("continue", continueToken);
      const page = (await getJson(kubeConfig, `${collection.path}?${query}`)) as ListJson;
      for (const item of page.items ?? []) items.push({ apiVersion: "v1", kind: collection.kind, ...item });
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
  }
  await writeFile(
    path,
    `${JSON.stringify({ apiVersion: "v1", kind: "List", metadata: {}, items }, null, 2)}\n`,
  );
  return items.length;
}
