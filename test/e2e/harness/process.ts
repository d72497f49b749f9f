import { type ChildProcess, execFile, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { forgetPid, trackPid } from "./cleanup.js";

/** Lines of a peer's log shown when it fails to start or a test fails. */
export const LOG_TAIL_LINES = 60;

/** How to start one peer process. */
export interface SpawnSpec {
  /** Short name used in messages, e.g. "etcd". */
  name: string;
  command: string;
  args: string[];
  /** stdout and stderr are appended to this file. */
  logPath: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A running peer. `stop()` is idempotent and safe to call after the peer has died. */
export interface PeerProcess {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  /** The exit description once the process has exited, else undefined. */
  exitStatus(): string | undefined;
  /** The last `lines` lines of the peer's log. */
  tail(lines?: number): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Live peers of this worker, so a failing test can print their logs
 * (see `printPeerLogs`). Entries are removed when a peer exits.
 */
const running = new Set<PeerProcess>();

/**
 * Spawns a peer with its output going to `spec.logPath` (not to the test's stdout, which
 * would interleave several peers). The PID is registered with the exit safety net.
 */
export function spawnPeer(spec: SpawnSpec): PeerProcess {
  const logFd = openSync(spec.logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      stdio: ["ignore", logFd, logFd],
    });
  } finally {
    // the child holds its own copy of the descriptor
    closeSync(logFd);
  }
  const pid = child.pid;
  if (pid === undefined) {
    // the cause arrives as an asynchronous 'error' event; handle it so it is not unhandled
    child.once("error", () => {});
    throw new Error(`${spec.name}: spawn of ${spec.command} failed (missing or not executable?)`);
  }
  trackPid(pid);

  let status: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      status = signal === null ? `exit code ${code}` : `signal ${signal}`;
      forgetPid(pid);
      running.delete(peer);
      resolve();
    });
    child.once("error", (error) => {
      status = `spawn error: ${error.message}`;
      forgetPid(pid);
      running.delete(peer);
      resolve();
    });
  });

  const peer: PeerProcess = {
    name: spec.name,
    pid,
    logPath: spec.logPath,
    exitStatus: () => status,
    tail: (lines = LOG_TAIL_LINES) => tailFile(spec.logPath, lines),
    async stop(graceMs = 5_000) {
      if (status !== undefined) return;
      sendSignal(pid, "SIGTERM");
      const timer = setTimeout(() => {
        if (status === undefined) sendSignal(pid, "SIGKILL");
      }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  running.add(peer);
  return peer;
}

/** Options of `waitUntil`. */
export interface WaitOptions {
  /** What is awaited, for the error message, e.g. "etcd /readyz". */
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Fail fast (with its log tail) when this peer exits while waiting. */
  peer?: PeerProcess;
}

/**
 * Polls `probe` until it returns true. Throws after `timeoutMs`, or as soon as `opts.peer`
 * exits; the error message carries the peer's last log lines and the probe's last error.
 */
export async function waitUntil(probe: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const intervalMs = opts.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    const exited = opts.peer?.exitStatus();
    if (exited !== undefined) {
      throw new Error(
        `${opts.what}: ${opts.peer?.name} exited (${exited}) before it was ready${logTail(opts.peer)}`,
        {
          cause: lastError,
        },
      );
    }
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      throw new Error(`${opts.what}: not ready after ${opts.timeoutMs} ms${logTail(opts.peer)}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Result of a finished command; a non-zero exit is a result, not an exception. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a short-lived command (a peer's CLI) to completion with a timeout. */
export function runCommand(command: string, args: string[], timeoutMs = 30_000): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve({ code: 0, stdout, stderr });
        return;
      }
      if (typeof error.code === "number") {
        resolve({ code: error.code, stdout, stderr });
        return;
      }
      // no exit code: not found, killed by the timeout, ...
      reject(new Error(`${command} ${args.join(" ")}: ${error.message}\n${stderr}`, { cause: error }));
    });
  });
}

/**
 * Writes the log tails of every live peer to stderr. Call it when a test fails, e.g.
 * `beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs))`.
 */
export function printPeerLogs(): void {
  for (const peer of running) {
    process.stderr.write(`\n----- last ${LOG_TAIL_LINES} lines of ${peer.name} (${peer.logPath}) -----\n`);
    process.stderr.write(`${peer.tail()}\n`);
  }
}

function sendSignal(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it exited between the status check and the signal, which is what we wanted
    if ((error as NodeJS.ErrnoException).code !== "ESRCH") throw error;
  }
}

function logTail(peer: PeerProcess | undefined): string {
  if (peer === undefined) return "";
  return `\n----- last ${LOG_TAIL_LINES} lines of ${peer.logPath} -----\n${peer.tail()}`;
}

function tailFile(path: string, lines: number): string {
  try {
    return readFileSync(path, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch (error) {
    return `(log unreadable: ${(error as Error).message})`;
  }
}
