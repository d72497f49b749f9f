/**
 * The deployment manifests as parsed objects, straight from the files (no kustomize): every YAML
 * resource under knative/ except kustomize's own files, each with the file it came from; or the
 * files one overlay lists (its resources and components, followed into the directories they name).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
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
  return yamlFiles(join(REPO, under)).flatMap(manifestsOf);
}

/** Parses one manifest file into objects, each with the file it came from. */
function manifestsOf(path: string): Manifest[] {
  return readYamlStream(path)
    .filter((doc) => doc !== null)
    .map((doc) => ({ ...(doc as object), file: relative(REPO, path) }) as Manifest);
}

/**
 * The objects of the resource files a kustomization (e.g. "knative/overlays/crd") lists under
 * `resources` and `components`, following directories to their own kustomization.yaml; each file
 * once. Patches and generators are not applied: this is what the overlay's files declare.
 */
export function overlayManifests(dir: string): Manifest[] {
  const files = new Set<string>();
  const visit = (kustomizationDir: string): void => {
    const [kustomization] = readYamlStream(join(kustomizationDir, "kustomization.yaml")) as {
      resources?: string[];
      components?: string[];
    }[];
    for (const entry of [...(kustomization?.resources ?? []), ...(kustomization?.components ?? [])]) {
      const path = join(kustomizationDir, entry);
      if (statSync(path).isDirectory()) visit(path);
      else files.add(path);
    }
  };
  visit(join(REPO, dir));
  return [...files].flatMap(manifestsOf);
}
