/**
 * Credentials from a kubeconfig `exec` plugin (client.authentication.k8s.io v1 and v1beta1), as
 * cloud providers ship them (e.g. `aws eks get-token`, `gke-gcloud-auth-plugin`). The plugin runs
 * non-interactively; its bearer token is cached until its `expirationTimestamp` (for ever when it
 * has none) and the plugin runs again after the API server rejects the token (401).
 */
import { execFile } from "node:child_process";
import type { Credentials } from "./credentials.js";

export const EXEC_API_VERSIONS: readonly string[] = [
  "client.authentication.k8s.io/v1",
  "client.authentication.k8s.io/v1beta1",
];

export interface ExecPlugin {
  readonly apiVersion: string;
  /** A path (made absolute against the kubeconfig's directory when it has a slash) or a name on PATH. */
  readonly command: string;
  readonly args: readonly string[];
  /** Added to the registrar's own environment. */
  readonly env: Readonly<Record<string, string>>;
  /** `provideClusterInfo`: the cluster's server and CA are passed in KUBERNETES_EXEC_INFO. */
  readonly cluster?: {
    readonly server: string;
    readonly "certificate-authority-data"?: string;
    readonly "insecure-skip-tls-verify"?: boolean;
    readonly "tls-server-name"?: string;
  };
}

export interface ExecCredentialOptions {
  readonly now: () => number;
  /** Deadline of one plugin run (default 60 s). */
  readonly timeoutMs?: number;
}

const MAX_OUTPUT_BYTES = 1024 * 1024;

export function execCredentials(plugin: ExecPlugin, options: ExecCredentialOptions): Credentials {
  let cached: { header: string; expiresAt: number } | undefined;
  let running: Promise<string> | undefined;
  const name = `exec plugin ${JSON.stringify(plugin.command)}`;

  const run = async (): Promise<string> => {
    const stdout = await runPlugin(plugin, name, options.timeoutMs ?? 60_000);
    const { token, expiresAt } = parseExecCredential(stdout, plugin.apiVersion, name);
    const header = `Bearer ${token}`;
    cached = { header, expiresAt };
    return header;
  };

  return {
    async authorization() {
      if (cached && options.now() < cached.expiresAt) return cached.header;
      // Concurrent requests share one run of the plugin.
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    },
    invalidate() {
      cached = undefined;
      return true;
    },
  };
}

function runPlugin(plugin: ExecPlugin, name: string, timeoutMs: number): Promise<string> {
  const execInfo = {
    apiVersion: plugin.apiVersion,
    kind: "ExecCredential",
    spec: { interactive: false, ...(plugin.cluster ? { cluster: plugin.cluster } : {}) },
  };
  return new Promise((resolve, reject) => {
    const child = execFile(
      plugin.command,
      [...plugin.args],
      {
        env: { ...process.env, ...plugin.env, KUBERNETES_EXEC_INFO: JSON.stringify(execInfo) },
        timeout: timeoutMs,
        maxBuffer: MAX_OUTPUT_BYTES,
        encoding: "utf8",
      },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const detail = stderr.trim().slice(0, 500);
        const code = (error as { code?: unknown }).code;
        const how =
          code === "ENOENT"
            ? "command not found"
            : error.killed
              ? `no answer within ${timeoutMs} ms`
              : typeof code === "number"
                ? `exited with code ${code}`
                : error.message;
        reject(new Error(`${name} failed: ${how}${detail ? `: ${detail}` : ""}`, { cause: error }));
      },
    );
    // Non-interactive: a plugin that prompts reads end-of-file instead of hanging.
    child.stdin?.end();
  });
}

/** The token and its expiry (ms since the epoch; Infinity without one) from the plugin's output. */
function parseExecCredential(
  stdout: string,
  apiVersion: string,
  name: string,
): { token: string; expiresAt: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`${name} printed no ExecCredential JSON: ${JSON.stringify(stdout.slice(0, 200))}`);
  }
  const credential = parsed as {
    apiVersion?: unknown;
    kind?: unknown;
    status?: { token?: unknown; expirationTimestamp?: unknown; clientCertificateData?: unknown };
  };
  if (credential?.kind !== "ExecCredential")
    throw new Error(`${name} printed kind ${JSON.stringify(credential?.kind)}, expected "ExecCredential"`);
  if (credential.apiVersion !== apiVersion) {
    throw new Error(
      `${name} printed apiVersion ${JSON.stringify(credential.apiVersion)}, expected ${JSON.stringify(apiVersion)}`,
    );
  }
  const status = credential.status;
  if (typeof status?.token !== "string" || status.token === "") {
    const certificate = status?.clientCertificateData !== undefined;
    throw new Error(
      `${name} returned no status.token${certificate ? " (client certificates from exec plugins are not supported)" : ""}`,
    );
  }
  const expiry = status.expirationTimestamp;
  if (expiry === undefined || expiry === null)
    return { token: status.token, expiresAt: Number.POSITIVE_INFINITY };
  const expiresAt = typeof expiry === "string" ? Date.parse(expiry) : Number.NaN;
  if (Number.isNaN(expiresAt))
    throw new Error(`${name} returned an invalid status.expirationTimestamp ${JSON.stringify(expiry)}`);
  return { token: status.token, expiresAt };
}
