import { rmSync } from "node:fs";

/**
 * Last-resort cleanup for peers that outlive a test file: a crashed worker, a hook that
 * timed out before `stop()` ran, or an interrupted run. Normal teardown goes through each
 * handle's `stop()`; this registry only holds what has not been stopped yet.
 *
 * A module-level registry is deliberate: the 'exit' handler has to reach every live peer of
 * the worker process, whichever test file started it.
 */
const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

/** Records a spawned peer; `forgetPid` must be called once it has exited. */
export function trackPid(pid: number): void {
  installExitHook();
  livePids.add(pid);
}

/** Removes a peer from the safety net after it has exited. */
export function forgetPid(pid: number): void {
  livePids.delete(pid);
}

/** Records a temp dir to be removed if the process exits before its owner removes it. */
export function trackDir(dir: string): void {
  installExitHook();
  liveDirs.add(dir);
}

/** Removes a temp dir from the safety net once its owner has removed it. */
export function forgetDir(dir: string): void {
  liveDirs.delete(dir);
}

/**
 * Hands every live peer and temp dir over to the caller: the exit hook then leaves them alone.
 * For `npm run demo -- --keep`, which leaves its cluster and SPIRE server running.
 */
export function releaseAll(): { pids: number[]; dirs: string[] } {
  const released = { pids: [...livePids], dirs: [...liveDirs] };
  livePids.clear();
  liveDirs.clear();
  return released;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", killLivePeers);
}

/**
 * SIGKILLs every peer not stopped yet and removes the temp dirs (kept with E2E_KEEP=1): what the exit
 * hook does, for a process that is about to die without running it (a benchmark's signal handler).
 * Synchronous, as 'exit' handlers must be: SIGKILL (no grace) and rmSync are.
 */
export function killLivePeers(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  livePids.clear();
  if (process.env.E2E_KEEP === "1") return;
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}
