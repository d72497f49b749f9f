/**
 * Runs one function as the image runs it: `node dist/bundle/functions/<name>/index.js` (from
 * `npm run bundle`) in a process of its own, with the Dockerfile's NODE_OPTIONS, `PORT` and the
 * manifests' `REGISTRAR_CONFIG`, reaching the API server through `KUBECONFIG`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { builtFile, imageNodeOptions, REPO_ROOT } from "../../bench/compare/systems/project-process.js";
import { freePort } from "../harness/ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "../harness/process.js";

export interface FunctionProcessOptions {
  /** The function's folder under functions/, e.g. "k8s-events". */
  readonly name: string;
  /** Where its config file already is and its stdout goes (`<name>.out`). */
  readonly dir: string;
  readonly configPath: string;
  readonly kubeconfigPath: string;
  /** More environment, e.g. `{ MY_POD_NAMESPACE: "spire" }`. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface FunctionProcess {
  readonly pid: number;
  /** Its `PORT` on 127.0.0.1 (queue-proxy's USER_PORT). */
  readonly port: number;
  /** SIGSTOP: it holds whatever reached it, reading nothing more. */
  pause(): void;
  /** SIGCONT */
  resume(): void;
  /** SIGTERM, as the kubelet sends it; resolves with the exit status (SIGKILL after `graceMs`). */
  terminate(graceMs: number): Promise<string>;
  /** Teardown (idempotent). */
  stop(): Promise<void>;
}

/** Starts the function's bundle on a free port and waits until it answers `/healthz`. */
export async function startFunctionProcess(opts: FunctionProcessOptions): Promise<FunctionProcess> {
  const entry = builtFile(join("functions", opts.name, "index.js"));
  const port = await freePort();
  const peer = spawnPeer({
    name: opts.name,
    command: process.execPath,
    args: [entry],
    logPath: join(opts.dir, `${opts.name}.out`),
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      NODE_ENV: "production",
      NODE_OPTIONS: imageNodeOptions(),
      PORT: String(port),
      REGISTRAR_CONFIG: opts.configPath,
      KUBECONFIG: opts.kubeconfigPath,
      ...opts.env,
    },
  });
  try {
    await waitUntil(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, {
          signal: AbortSignal.timeout(2_000),
        });
        await response.body?.cancel();
        return response.ok;
      },
      { what: `${opts.name} /healthz`, timeoutMs: 60_000, intervalMs: 100, peer },
    );
  } catch (error) {
    await peer.stop();
    throw error;
  }
  const resume = () => signal(peer, "SIGCONT");
  return {
    pid: peer.pid,
    port,
    pause: () => signal(peer, "SIGSTOP"),
    resume,
    async terminate(graceMs) {
      await peer.stop(graceMs);
      return peer.exitStatus() ?? "running";
    },
    async stop() {
      resume();
      await peer.stop();
    },
  };
}

function signal(peer: PeerProcess, name: NodeJS.Signals): void {
  if (peer.exitStatus() === undefined) process.kill(peer.pid, name);
}

/** The JSON log records of a function whose config has `log_path` (one per line). */
export function logRecords(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * How many TCP connections to local `port` hold bytes its process has not read (from
 * /proc/net/tcp{,6}: established, receive queue > 0). For a paused function that is how many
 * requests reached it: each HTTP/1.1 request in flight has a connection of its own.
 */
export function connectionsWithUnreadData(port: number): number {
  let count = 0;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, local, , state, queues] = line.trim().split(/\s+/);
      if (!local || state !== "01") continue;
      const localPort = Number.parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
      const unread = Number.parseInt(queues?.split(":")[1] ?? "0", 16);
      if (localPort === port && unread > 0) count++;
    }
  }
  return count;
}
