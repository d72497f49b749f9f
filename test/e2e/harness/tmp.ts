import { mkdtemp, rm } from "node:fs/promises";
import { forgetDir, trackDir } from "./cleanup.js";

/** A temp dir owned by one harness component; `remove()` is idempotent. */
export interface RunDir {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Creates a short temp dir `/tmp/e2e-<tag>-XXXXXX`. It is short on purpose: unix socket
 * paths inside it must stay under the 108-byte `sun_path` limit.
 * It is removed by `remove()`, or at process exit as a safety net; with `E2E_KEEP=1` it is
 * kept (and its path logged) so the peers' logs and configs can be inspected afterwards.
 */
export async function makeRunDir(tag: string, log: (line: string) => void): Promise<RunDir> {
  const path = await mkdtemp(`/tmp/e2e-${tag}-`);
  trackDir(path);
  let removed = false;
  return {
    path,
    async remove() {
      if (removed) return;
      removed = true;
      forgetDir(path);
      if (process.env.E2E_KEEP === "1") {
        log(`E2E_KEEP=1: keeping ${path}`);
        return;
      }
      await rm(path, { recursive: true, force: true });
    },
  };
}
