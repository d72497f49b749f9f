import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const PROGRESS = new URL("../../../scripts/progress.sh", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "progress-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a bash snippet with scripts/progress.sh sourced and a 1 s progress interval. */
function bash(script: string) {
  return spawnSync("bash", ["-c", `source ${PROGRESS}\n${script}`], {
    encoding: "utf8",
    env: { ...process.env, PROGRESS_INTERVAL: "1" },
  });
}

describe("scripts/progress.sh", () => {
  it("says what a long step waits for while it runs, and keeps its exit status", () => {
    const result = bash('with_progress "peers: building etcd" bash -c "sleep 2; exit 3"; echo "rc=$?"');
    expect(result.stdout).toMatch(/^peers: building etcd: \d+ s so far$/m);
    expect(result.stdout).toMatch(/^rc=3$/m);
  });

  it("says whose lock it waits for, while another process holds it", () => {
    const lock = join(dir, "lock");
    const result = bash(
      `(exec 7>${lock}; flock 7; touch ${lock}.held; sleep 2) &\n` +
        `until [[ -e ${lock}.held ]]; do sleep 0.1; done\n` +
        `exec 9>${lock}\nlock_with_progress 9 ${lock} peers; echo got; wait`,
    );
    expect(result.stdout).toContain(`peers: another build holds ${lock}; waiting`);
    expect(result.stdout).toMatch(/^peers: still waiting for .* \(\d+ s so far\)$/m);
    expect(result.stdout).toMatch(/^got$/m);
  });
});
