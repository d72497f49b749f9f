import { access, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { type PeerName, peerBinary } from "./peers.js";
import { freePort } from "./ports.js";
import { type CommandResult, type PeerProcess, runCommand, spawnPeer, waitUntil } from "./process.js";
import { makeRunDir } from "./tmp.js";

const HEALTH_TIMEOUT_MS = 30_000;
const HEALTH_POLL_MS = 300;

/**
 * Which spire-server: the current one (`spire-server`, the server API) or the seed's own
 * `spire-server-v0.11.1`, which serves the legacy Registration API its registrar speaks.
 */
export type SpireRelease = "current" | "v0.11.1";

/** Options of `startSpireServer`. */
export interface SpireServerOptions {
  /** Default "example.org". */
  trustDomain?: string;
  /** Default "current". */
  release?: SpireRelease;
  /** `log_level` of the server block; default "DEBUG" (what a failing e2e test wants to read). */
  logLevel?: SpireLogLevel;
  /** `log_format`; default "text". "json": one JSON object per line (release "current" only). */
  logFormat?: "text" | "json";
  /**
   * `audit_log_enabled` (release "current" only; default false): every API call is logged at INFO
   * with `"type":"audit"`, one line per entry of a batch call, with its status and server time.
   */
  auditLog?: boolean;
  log?: HarnessLog;
}

/** spire-server's log levels. */
export type SpireLogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR";

/** How the two releases differ in their config file and CLI. */
const RELEASES: Record<SpireRelease, { binary: PeerName; socketKey: string; socketFlag: string }> = {
  current: { binary: "spire-server", socketKey: "socket_path", socketFlag: "-socketPath" },
  "v0.11.1": {
    binary: "spire-server-v0.11.1",
    socketKey: "registration_uds_path",
    socketFlag: "-registrationUDSPath",
  },
};

/** A running spire-server: sqlite datastore, join_token node attestor, memory key manager. */
export interface SpireServer {
  readonly release: SpireRelease;
  /** The server API socket (every caller on it is an admin), `<dir>/s.sock`. */
  socketPath: string;
  trustDomain: string;
  /** The agent-facing gRPC/TLS port on 127.0.0.1. */
  bindPort: number;
  /** Config, data (sqlite) and `spire-server.log`. */
  dir: string;
  /** `<dir>/spire-server.log`: the server's stdout and stderr, appended across restarts. */
  logPath: string;
  /** The process id of the running server (a new one after `restart()`), undefined while halted. */
  pid(): number | undefined;
  /**
   * Runs `spire-server <args>` with `-socketPath` (v0.11.1: `-registrationUDSPath`) inserted after
   * the subcommand words, e.g. `cli(["entry", "show", "-output", "json"])`. A non-zero exit is a result.
   */
  cli(args: string[]): Promise<CommandResult>;
  /** Stops the process and starts it again on the same config and data dir (same entries). */
  restart(): Promise<void>;
  /** Stops the process only (an outage); `resume()` starts it again with the same data. */
  halt(): Promise<void>;
  resume(): Promise<void>;
  /** Stops the process (by PID) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts spire-server (of `opts.release`) in a fresh short temp dir and waits for
 * `spire-server healthcheck`.
 */
export async function startSpireServer(opts: SpireServerOptions = {}): Promise<SpireServer> {
  const log = opts.log ?? stderrLog;
  const trustDomain = opts.trustDomain ?? "example.org";
  const release = opts.release ?? "current";
  const { binary: binaryName, socketKey, socketFlag } = RELEASES[release];
  const logLines = serverLogLines(opts, release);
  const binary = peerBinary(binaryName);
  const run = await makeRunDir("spire", log);
  const socketPath = join(run.path, "s.sock");
  const configPath = join(run.path, "server.conf");
  const logPath = join(run.path, "spire-server.log");
  let current: PeerProcess | undefined;
  try {
    const bindPort = await freePort();
    const dataDir = join(run.path, "data");
    await mkdir(dataDir);
    await writeFile(
      configPath,
      `server {
  bind_address = "127.0.0.1"
  bind_port = "${bindPort}"
  ${socketKey} = "${socketPath}"
  trust_domain = "${trustDomain}"
  data_dir = "${dataDir}"
${logLines}
}

plugins {
  DataStore "sql" {
    plugin_data {
      database_type = "sqlite3"
      connection_string = "${join(dataDir, "datastore.sqlite3")}"
    }
  }
  NodeAttestor "join_token" {
    plugin_data {}
  }
  KeyManager "memory" {
    plugin_data {}
  }
}
`,
    );

    const cli = (args: string[]): Promise<CommandResult> =>
      runCommand(binary, withSocketPath(args, socketFlag, socketPath));
    const start = async (what: string): Promise<void> => {
      const startedAt = performance.now();
      const peer = spawnPeer({
        name: binaryName,
        command: binary,
        args: ["run", "-config", configPath],
        logPath,
      });
      current = peer;
      await waitUntil(async () => (await cli(["healthcheck"])).code === 0, {
        what: "spire-server healthcheck",
        timeoutMs: HEALTH_TIMEOUT_MS,
        intervalMs: HEALTH_POLL_MS,
        peer,
      });
      log(
        `${binaryName} ${what} in ${elapsedMs(startedAt)} ms (${socketPath}, port ${bindPort}, pid ${peer.pid})`,
      );
    };
    await start("ready");

    let stopped: Promise<void> | undefined;
    return {
      release,
      socketPath,
      trustDomain,
      bindPort,
      dir: run.path,
      logPath,
      pid: () => (current?.exitStatus() === undefined ? current?.pid : undefined),
      cli,
      async restart() {
        await current?.stop();
        await start("restarted and ready");
      },
      async halt() {
        await current?.stop();
      },
      async resume() {
        await start("resumed and ready");
      },
      stop() {
        stopped ??= (async () => {
          await current?.stop();
          await run.remove();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await current?.stop();
    await run.remove();
    throw error;
  }
}

/** The logging lines of the server block for `opts`; the options v0.11.1 lacks are refused. */
function serverLogLines(opts: SpireServerOptions, release: SpireRelease): string {
  const lines = [`  log_level = "${opts.logLevel ?? "DEBUG"}"`];
  const format = opts.logFormat ?? "text";
  if (format !== "text" || opts.auditLog) {
    if (release !== "current") throw new Error(`spire-server ${release}: no JSON format or audit log here`);
    lines.push(`  log_format = "${format}"`);
    if (opts.auditLog) lines.push("  audit_log_enabled = true");
  }
  return lines.join("\n");
}

/** Options of `startSpireAgent`. */
export interface SpireAgentOptions {
  /** Path of the agent alias ID the join token is generated for; default "agent-e2e". */
  aliasPath?: string;
  /** Skip server verification on the first contact instead of using `bundle show`. */
  insecureBootstrap?: boolean;
  log?: HarnessLog;
}

/** A running spire-agent attested with a join token; its Workload API uses the unix attestor. */
export interface SpireAgent {
  /** The Workload API socket, `<dir>/a.sock`. */
  socketPath: string;
  /**
   * `spiffe://<td>/<aliasPath>`: the ID the join token was generated for. Use it as the
   * parent of workload entries meant for this agent (SPIRE maps it to the agent's node).
   */
  agentSpiffeId: string;
  /** The ID the agent attests as: `spiffe://<td>/spire/agent/join_token/<token>`. */
  attestedSpiffeId: string;
  dir: string;
  /** Stops the process (by PID) and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Generates a join token through the server CLI, starts spire-agent against `server`
 * and waits for `spire-agent healthcheck`.
 */
export async function startSpireAgent(
  server: SpireServer,
  opts: SpireAgentOptions = {},
): Promise<SpireAgent> {
  const log = opts.log ?? stderrLog;
  const binary = peerBinary("spire-agent");
  const agentSpiffeId = `spiffe://${server.trustDomain}/${opts.aliasPath ?? "agent-e2e"}`;
  const run = await makeRunDir("agent", log);
  const socketPath = join(run.path, "a.sock");
  let peer: PeerProcess | undefined;
  try {
    const token = await generateJoinToken(server, agentSpiffeId);
    const bootstrap = opts.insecureBootstrap
      ? "insecure_bootstrap = true"
      : `trust_bundle_path = "${await writeBundle(server, run.path)}"`;
    const configPath = join(run.path, "agent.conf");
    await writeFile(
      configPath,
      `agent {
  data_dir = "${join(run.path, "data")}"
  log_level = "DEBUG"
  server_address = "127.0.0.1"
  server_port = "${server.bindPort}"
  socket_path = "${socketPath}"
  trust_domain = "${server.trustDomain}"
  ${bootstrap}
}

plugins {
  NodeAttestor "join_token" {
    plugin_data {}
  }
  KeyManager "memory" {
    plugin_data {}
  }
  WorkloadAttestor "unix" {
    plugin_data {}
  }
}
`,
    );

    const startedAt = performance.now();
    const started = spawnPeer({
      name: "spire-agent",
      command: binary,
      args: ["run", "-config", configPath, "-joinToken", token],
      logPath: join(run.path, "spire-agent.log"),
    });
    peer = started;
    await waitUntil(
      async () => (await runCommand(binary, ["healthcheck", "-socketPath", socketPath])).code === 0,
      {
        what: "spire-agent healthcheck",
        timeoutMs: HEALTH_TIMEOUT_MS,
        intervalMs: HEALTH_POLL_MS,
        peer: started,
      },
    );
    log(`spire-agent ready in ${elapsedMs(startedAt)} ms (${socketPath}, pid ${started.pid})`);

    let stopped: Promise<void> | undefined;
    return {
      socketPath,
      agentSpiffeId,
      attestedSpiffeId: `spiffe://${server.trustDomain}/spire/agent/join_token/${token}`,
      dir: run.path,
      stop() {
        stopped ??= (async () => {
          await started.stop();
          await run.remove();
        })();
        return stopped;
      },
    };
  } catch (error) {
    await peer?.stop();
    await run.remove();
    throw error;
  }
}

/** PEM files written by `spire-agent api fetch x509 -write`. */
export interface X509SvidFiles {
  certPath: string;
  keyPath: string;
  bundlePath: string;
}

/**
 * Fetches the caller's X509-SVID from the agent's Workload API into `outDir`, retrying
 * for up to `timeoutMs`: a new entry reaches the agent's cache only after a sync (seconds).
 */
export async function fetchX509Svid(
  agent: SpireAgent,
  outDir: string,
  timeoutMs = 30_000,
): Promise<X509SvidFiles> {
  await mkdir(outDir, { recursive: true });
  const files: X509SvidFiles = {
    certPath: join(outDir, "svid.0.pem"),
    keyPath: join(outDir, "svid.0.key"),
    bundlePath: join(outDir, "bundle.0.pem"),
  };
  let last: CommandResult | undefined;
  try {
    await waitUntil(
      async () => {
        last = await runCommand(peerBinary("spire-agent"), [
          "api",
          "fetch",
          "x509",
          "-socketPath",
          agent.socketPath,
          "-timeout",
          "3s",
          "-write",
          outDir,
        ]);
        if (last.code !== 0) return false;
        await access(files.certPath);
        return true;
      },
      { what: "spire-agent api fetch x509", timeoutMs, intervalMs: 1_000 },
    );
  } catch (error) {
    throw new Error(`no X509-SVID from ${agent.socketPath}; last attempt: ${JSON.stringify(last)}`, {
      cause: error,
    });
  }
  return files;
}

/** Inserts the socket flag after the leading subcommand words (Go's flag parsing stops at the first non-flag). */
function withSocketPath(args: string[], flag: string, socketPath: string): string[] {
  const firstFlag = args.findIndex((arg) => arg.startsWith("-"));
  const at = firstFlag === -1 ? args.length : firstFlag;
  return [...args.slice(0, at), flag, socketPath, ...args.slice(at)];
}

async function generateJoinToken(server: SpireServer, spiffeId: string): Promise<string> {
  const result = await server.cli(["token", "generate", "-spiffeID", spiffeId, "-ttl", "600"]);
  const token = /Token:\s*(\S+)/.exec(result.stdout)?.[1];
  if (result.code !== 0 || token === undefined) {
    throw new Error(
      `spire-server token generate failed (exit ${result.code}): ${result.stdout}${result.stderr}`,
    );
  }
  return token;
}

async function writeBundle(server: SpireServer, dir: string): Promise<string> {
  const result = await server.cli(["bundle", "show", "-format", "pem"]);
  if (result.code !== 0 || !result.stdout.includes("BEGIN CERTIFICATE")) {
    throw new Error(`spire-server bundle show failed (exit ${result.code}): ${result.stderr}`);
  }
  const path = join(dir, "bundle.pem");
  await writeFile(path, result.stdout);
  return path;
}
