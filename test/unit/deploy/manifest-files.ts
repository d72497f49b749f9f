/**
 * The deployment manifests as parsed objects, straight from the files (no kustomize): every YAML
 * resource under knative/ except kustomize's own files, each with the file it came from.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";

export const REPO = new URL("../../..", import.meta.url).pathname;

/** A loosely typed Kubernetes object; tests narrow what they read. */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  readonly [field: string]: unknown;
  /** Repository-relative path of the file. */
  readonly file: string;
}

const KUSTOMIZE_FILES = new Set(["kustomization.yaml", "kustomizeconfig.yaml"]);

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return yamlFiles(path);
    return entry.name.endsWith(".yaml") && !KUSTOMIZE_FILES.has(entry.name) ? [path] : [];
  });
}

/** Parses a YAML stream; a syntax error throws with the file name. */
export function readYamlStream(path: string): unknown[] {
  return parseAllDocuments(readFileSync(path, "utf8")).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${path}: ${doc.errors[0]?.message}`);
    return doc.toJS();
  });
}

export function loadManifests(under = "knative"): Manifest[] {
  return yamlFiles(join(REPO, under)).flatMap((path) =>
    readYamlStream(path)
      .filter((doc) => doc !== null)
      .map((doc) => ({ ...(doc as object), file: relative(REPO, path) }) as Manifest),
  );
}
