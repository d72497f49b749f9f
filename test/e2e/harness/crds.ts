import { readFile } from "node:fs/promises";
import {
  ApiextensionsV1Api,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { waitUntil } from "./process.js";

const ESTABLISHED_TIMEOUT_MS = 30_000;

/**
 * Creates the CustomResourceDefinitions in the YAML files (one or more documents each) and waits
 * until every one is Established, i.e. its resources are served. Returns their names.
 */
export async function applyCrds(
  kubeConfig: KubeConfig,
  files: readonly string[],
  log: HarnessLog = stderrLog,
): Promise<string[]> {
  return applyCrdObjects(kubeConfig, await readCrds(files), log);
}

/** The CustomResourceDefinitions in the YAML files, for a caller that adapts them before `applyCrdObjects`. */
export async function readCrds(files: readonly string[]): Promise<V1CustomResourceDefinition[]> {
  const crds: V1CustomResourceDefinition[] = [];
  for (const file of files) {
    for (const document of parseAllDocuments(await readFile(file, "utf8"))) {
      const crd = document.toJS() as V1CustomResourceDefinition | null;
      if (crd?.kind === "CustomResourceDefinition") crds.push(crd);
    }
  }
  return crds;
}

/** `applyCrds` for CRD objects. */
export async function applyCrdObjects(
  kubeConfig: KubeConfig,
  crds: readonly V1CustomResourceDefinition[],
  log: HarnessLog = stderrLog,
): Promise<string[]> {
  const startedAt = performance.now();
  const api = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const names: string[] = [];
  for (const crd of crds) {
    await api.createCustomResourceDefinition({ body: crd });
    names.push(crd.metadata?.name ?? "");
  }
  for (const name of names) {
    await waitUntil(
      async () => {
        const current = await api.readCustomResourceDefinition({ name });
        return (
          current.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
        );
      },
      { what: `CRD ${name} Established`, timeoutMs: ESTABLISHED_TIMEOUT_MS },
    );
  }
  log(`CRDs ${names.join(", ")} Established in ${elapsedMs(startedAt)} ms`);
  return names;
}
