/**
 * Where e2e tests leave artefacts for later tests and for people (kept after the run):
 * `E2E_OUTPUT_DIR`, else `.tmp/e2e-output` in the repository (git-ignored).
 */
import { mkdir } from "node:fs/promises";
import { join, resolve } from "node:path";

export async function e2eOutputDir(): Promise<string> {
  const dir =
    process.env.E2E_OUTPUT_DIR || join(resolve(import.meta.dirname, "../../.."), ".tmp", "e2e-output");
  await mkdir(dir, { recursive: true });
  return dir;
}
