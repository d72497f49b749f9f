/**
 * `npm run demo` as a user runs it: it must bring everything up, show entries appear and go away
 * and the registrar's log, tear down, and end by itself with exit code 0; with `--keep` it must
 * leave a cluster and SPIRE server that the `registrar plan` command of its closing note reads.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CLUSTER_PEERS } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";

const run = promisify(execFile);

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("npm run demo", () => {
  it("shows entries appearing and going away, then ends by itself", { timeout: 600_000 }, async () => {
    const { stdout } = await run("npm", ["run", "demo"], { maxBuffer: 16 << 20, timeout: 540_000 });
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/ns\/shop\/sa\/frontend /m);
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/payments /m);
    expect(stdout).toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/production\/ledger /m);
    expect(stdout).toMatch(/^ {2}- spiffe:\/\/demo\.example\/ns\/shop\/sa\/frontend$/m);
    // the unlabelled pod of the label phase gets no entry
    expect(stdout).not.toMatch(/^ {2}\+ spiffe:\/\/demo\.example\/ns\/shop\/sa\/default /m);
    // what the compile and the registrar itself say is shown
    expect(stdout).toMatch(/^demo: compiled in \d+ s$/m);
    expect(stdout).toMatch(/^ {2}\| time=\S+ level=info msg="registrar serve listening"/m);
    expect(stdout).toContain("demo done: tearing down");
  });

  it("--keep leaves the cluster and SPIRE running for the registrar plan it prints", {
    timeout: 600_000,
  }, async () => {
    const { stdout } = await run("npm", ["run", "demo", "--", "--keep"], {
      maxBuffer: 16 << 20,
      timeout: 540_000,
    });
    const stop =
      /^ {2}(kill [\d ]+; sleep 5; kill \d+; sleep 5; kill -9 ([\d ]+) 2>\/dev\/null; rm -rf (.+))$/m.exec(
        stdout,
      );
    const pids = stop?.[2]?.split(" ").map(Number) ?? [];
    const alive = () => pids.filter((pid) => isAlive(pid));
    let aliveAfterStop: number[] = [];
    try {
      const tryLine = /^ {2}KUBECONFIG=(\S+) node (\S+) plan -config (\S+)$/m.exec(stdout);
      expect(tryLine, stdout).not.toBeNull();
      const [, kubeconfig, cli, config] = tryLine as unknown as [string, string, string, string];
      const plan = await run(process.execPath, [cli, "plan", "-config", config], {
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
      // the demo's registrar left its cluster in step: nothing to do
      expect(plan.stdout.trimEnd().split("\n").at(-1)).toBe("0 to create, 0 to update, 0 to delete");
    } finally {
      // The demo's peers, which this test started: stopped with the command the demo printed, then
      // (a safety net) anything left is killed by its process id and the directories removed.
      if (stop?.[1]) await run("bash", ["-c", stop[1]]).catch(() => undefined);
      // A process killed a moment ago may still be exiting.
      for (let i = 0; i < 20 && alive().length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      aliveAfterStop = alive();
      for (const pid of aliveAfterStop) process.kill(pid, "SIGKILL");
      for (const dir of stop?.[3]?.split(" ") ?? []) await rm(dir, { recursive: true, force: true });
    }
    expect(stop, stdout).not.toBeNull();
    expect(aliveAfterStop).toEqual([]);
  });
});

/** Running, not a zombie waiting to be reaped (this machine's init reaps late). */
function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}
