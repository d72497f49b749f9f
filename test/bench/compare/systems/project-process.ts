/**
 * Starts one of the project's bundled entry points (`npm run bundle` output in dist/bundle/, what
 * the image runs) as a process of its own, so its CPU and memory can be read from /proc, and waits until it answers `/healthz`.
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type PeerProcess, spawnPeer, waitUntil } from "../../../e2e/harness/process.js";
import type { NodeCommand } from "../settings.js";
import type { RunContext } from "../system.js";

/** The repository root (this file is test/bench/compare/systems/). */
export const REPO_ROOT = resolve(import.meta.dirname, "../../../..");

/** The absolute path of a bundled file, e.g. `bin/registrar.js`; throws when `npm run bundle` is missing. */
export function builtFile(relative: string): string {
  const path = join(REPO_ROOT, "dist", "bundle", relative);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run bundle\` first`);
  return path;
}

/**
 * The NODE_OPTIONS the image sets (`ENV NODE_OPTIONS=...` in the Dockerfile), so the benchmarks run
 * the functions with the same V8 settings as production.
 */
export function imageNodeOptions(): string {
  if (nodeOptions === undefined) {
    const dockerfile = readFileSync(join(REPO_ROOT, "Dockerfile"), "utf8");
    nodeOptions = /^ENV NODE_OPTIONS=(.*)$/m.exec(dockerfile)?.[1]?.trim() ?? "";
  }
  return nodeOptions;
}
let nodeOptions: string | undefined;

/** The message of a missing build output, or undefined when it is there. */
export function missingBuild(relative: string): string | undefined {
  try {
    builtFile(relative);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Writes the registrar configuration (HCL's JSON form) and returns its path. */
export async function writeConfig(
  dir: string,
  name: string,
  config: Record<string, unknown>,
): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
  return path;
}

export interface NodeProcessSpec {
  /** The process's role in the run, e.g. "registrar" or "k8s-events". */
  readonly role: string;
  /** Bundled file to run, relative to dist/bundle/. */
  readonly entry: string;
  readonly args: readonly string[];
  readonly node: NodeCommand;
  readonly env: NodeJS.ProcessEnv;
  readonly logPath: string;
  /** Where it answers GET /healthz, e.g. http://127.0.0.1:PORT. */
  readonly url: string;
}

/**
 * Spawns `<node> <node args> dist/bundle/<entry> <args>`, hands it to the run (measured, stopped at the
 * run's end), then waits for /healthz (60 s).
 */
export async function startNodeProcess(spec: NodeProcessSpec, context: RunContext): Promise<PeerProcess> {
  const peer = spawnPeer({
    name: spec.role,
    command: spec.node.path,
    args: [...spec.node.args, builtFile(spec.entry), ...spec.args],
    logPath: spec.logPath,
    env: { ...spec.env, NODE_OPTIONS: imageNodeOptions() },
    cwd: REPO_ROOT,
  });
  context.own(spec.role, peer);
  await waitUntil(
    async () => {
      const response = await fetch(`${spec.url}/healthz`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      return response.ok;
    },
    { what: `${spec.role} /healthz`, timeoutMs: 60_000, intervalMs: 100, peer },
  );
  return peer;
}
