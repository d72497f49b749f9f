/**
 * Turns merged kubeconfig files into a KubeTarget: the current context's cluster (server, CA,
 * `insecure-skip-tls-verify`, `tls-server-name`) and user (client certificate and key; one of
 * token, `tokenFile`, username/password or an exec plugin). Relative paths are resolved against the
 * directory of the file that holds them; referenced files are read now, so a wrong path fails at
 * start-up. What this client does not implement (`auth-provider`, `proxy-url`, impersonation) is
 * refused by name rather than ignored, since ignoring it would connect differently than kubectl.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { basicAuth, type Credentials, noCredentials, staticToken, tokenFile } from "./credentials.js";
import { EXEC_API_VERSIONS, type ExecPlugin, execCredentials } from "./exec-credential.js";
import type { KubeTarget, KubeTls } from "./kube-target.js";
import { type Defined, KubeconfigProblem, type KubeconfigSet } from "./kubeconfig-files.js";

/** The target of the current context; throws KubeconfigProblem naming the file and key at fault. */
export function targetOfCurrentContext(set: KubeconfigSet, now: () => number): KubeTarget {
  const current = set.currentContext;
  if (!current) throw new KubeconfigProblem(`kubeconfig ${set.files.join(", ")}: current-context is not set`);
  const context = set.contexts.get(current.name);
  if (!context)
    throw new KubeconfigProblem(
      `kubeconfig ${current.file}: context "${current.name}" (current-context) not found`,
    );
  const where = describe(context);
  const clusterName = text(context, "cluster");
  if (!clusterName) throw new KubeconfigProblem(`${where}: cluster is not set`);
  const cluster = set.clusters.get(clusterName);
  if (!cluster) throw new KubeconfigProblem(`${where}: cluster "${clusterName}" not found`);
  const userName = text(context, "user");
  const user = userName ? set.users.get(userName) : undefined;
  if (userName && !user) throw new KubeconfigProblem(`${where}: user "${userName}" not found`);

  const { server, tls: clusterTls } = clusterSettings(cluster);
  const userTls = user ? clientCertificate(user) : {};
  return Object.freeze({
    server,
    tls: Object.freeze({ ...clusterTls, ...userTls }),
    credentials: user ? credentialsOf(user, cluster, now) : noCredentials,
    namespace: text(context, "namespace") || undefined,
    source: set.files.join(":"),
  });
}

function clusterSettings(cluster: Defined): { server: string; tls: KubeTls } {
  const where = describe(cluster);
  const server = text(cluster, "server");
  refuse(cluster, "proxy-url", "is not supported: reach the API server directly");
  if (!server) throw new KubeconfigProblem(`${where}: server is not set`);
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:"))
    throw new KubeconfigProblem(`${where}: server ${JSON.stringify(server)} is not an http(s) URL`);
  const ca = pem(cluster, "certificate-authority");
  const servername = text(cluster, "tls-server-name");
  const tls = {
    ...(ca ? { ca } : {}),
    ...(servername ? { servername } : {}),
    insecureSkipVerify: flag(cluster, "insecure-skip-tls-verify"),
  };
  return { server, tls };
}

function clientCertificate(user: Defined): Pick<KubeTls, "cert" | "key"> {
  const cert = pem(user, "client-certificate");
  const key = pem(user, "client-key");
  if (Boolean(cert) !== Boolean(key)) {
    throw new KubeconfigProblem(
      `${describe(user)}: ${cert ? "client-certificate needs client-key" : "client-key needs client-certificate"}`,
    );
  }
  return cert && key ? { cert, key } : {};
}

function credentialsOf(user: Defined, cluster: Defined, now: () => number): Credentials {
  const where = describe(user);
  refuse(
    user,
    "auth-provider",
    "is not supported: use an exec credential plugin (client.authentication.k8s.io/v1)",
  );
  for (const key of ["as", "as-uid", "as-groups", "as-user-extra"])
    refuse(user, key, "(impersonation) is not supported");
  const exec = user.fields.exec;
  const token = text(user, "token");
  const file = text(user, "tokenFile");
  const username = text(user, "username");
  const kinds = [
    exec ? "exec" : "",
    token || file ? "token" : "",
    username ? "username/password" : "",
  ].filter(Boolean);
  if (kinds.length > 1)
    throw new KubeconfigProblem(`${where}: more than one kind of credential (${kinds.join(", ")}); keep one`);
  if (exec !== undefined && exec !== null) return execCredentials(execPlugin(user, cluster), { now });
  // A token file is read again as it rotates; it takes precedence over a token copied from it.
  if (file) return tokenFile(pathOf(user, file), { now });
  if (token) return staticToken(token);
  if (username) return basicAuth(username, text(user, "password") ?? "");
  return noCredentials;
}

function execPlugin(user: Defined, cluster: Defined): ExecPlugin {
  const where = `${describe(user)}: exec`;
  const exec = user.fields.exec as Record<string, unknown>;
  if (typeof exec !== "object" || Array.isArray(exec))
    throw new KubeconfigProblem(`${where} must be a mapping`);
  const apiVersion = exec.apiVersion;
  if (typeof apiVersion !== "string" || !EXEC_API_VERSIONS.includes(apiVersion)) {
    throw new KubeconfigProblem(
      `${where}.apiVersion ${JSON.stringify(apiVersion)} is not supported (use ${EXEC_API_VERSIONS.join(" or ")})`,
    );
  }
  const command = exec.command;
  if (typeof command !== "string" || command === "")
    throw new KubeconfigProblem(`${where}.command is not set`);
  if (exec.interactiveMode === "Always")
    throw new KubeconfigProblem(
      `${where}.interactiveMode "Always" is not supported: the registrar has no terminal`,
    );
  const args = exec.args ?? [];
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === "string"))
    throw new KubeconfigProblem(`${where}.args must be a list of strings`);
  const env: Record<string, string> = {};
  const entries = exec.env ?? [];
  if (!Array.isArray(entries)) throw new KubeconfigProblem(`${where}.env must be a list of name/value pairs`);
  for (const entry of entries as Array<{ name?: unknown; value?: unknown } | null>) {
    if (typeof entry?.name !== "string" || typeof entry.value !== "string")
      throw new KubeconfigProblem(`${where}.env must be a list of name/value pairs`);
    env[entry.name] = entry.value;
  }
  // kubectl resolves a command with a path separator against the kubeconfig's directory.
  const resolved = command.includes("/") ? pathOf(user, command) : command;
  const ca = pem(cluster, "certificate-authority");
  const server = text(cluster, "server") ?? "";
  const servername = text(cluster, "tls-server-name");
  const clusterInfo = exec.provideClusterInfo === true && {
    server,
    ...(ca ? { "certificate-authority-data": ca.toString("base64") } : {}),
    ...(flag(cluster, "insecure-skip-tls-verify") ? { "insecure-skip-tls-verify": true } : {}),
    ...(servername ? { "tls-server-name": servername } : {}),
  };
  return { apiVersion, command: resolved, args, env, ...(clusterInfo ? { cluster: clusterInfo } : {}) };
}

/** `<key>-data` (base64 PEM) or `<key>` (a PEM file); the data form wins, as in kubectl. */
function pem(entry: Defined, key: string): Buffer | undefined {
  const where = describe(entry);
  const data = text(entry, `${key}-data`);
  if (data) {
    const decoded = Buffer.from(data, "base64");
    if (!decoded.includes("-----BEGIN"))
      throw new KubeconfigProblem(`${where}: ${key}-data is not base64-encoded PEM`);
    return decoded;
  }
  const file = text(entry, key);
  if (!file) return undefined;
  const path = pathOf(entry, file);
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new KubeconfigProblem(`${where}: ${key}: cannot read ${path}: ${(error as Error).message}`);
  }
  if (!content.includes("-----BEGIN")) throw new KubeconfigProblem(`${where}: ${key}: ${path} holds no PEM`);
  return content;
}

function pathOf(entry: Defined, path: string): string {
  return isAbsolute(path) ? path : resolve(dirname(entry.file), path);
}

function text(entry: Defined, key: string): string | undefined {
  const value = entry.fields[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new KubeconfigProblem(`${describe(entry)}: ${key} must be a string`);
  return value;
}

function flag(entry: Defined, key: string): boolean {
  const value = entry.fields[key];
  if (value === undefined || value === null) return false;
  if (typeof value !== "boolean")
    throw new KubeconfigProblem(`${describe(entry)}: ${key} must be true or false`);
  return value;
}

function refuse(entry: Defined, key: string, why: string): void {
  if (entry.fields[key] !== undefined && entry.fields[key] !== null)
    throw new KubeconfigProblem(`${describe(entry)}: ${key} ${why}`);
}

function describe(entry: Defined): string {
  return `kubeconfig ${entry.file}: ${entry.kind} "${entry.name}"`;
}
