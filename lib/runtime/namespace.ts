/**
 * The namespace a function runs in (for its leader-election Lease): `leader_election_namespace`,
 * else the downward-API variables the Go registrar read (`MY_POD_NAMESPACE`, `POD_NAMESPACE`),
 * else the service account's namespace file.
 */
import { readFileSync } from "node:fs";

const SERVICE_ACCOUNT_NAMESPACE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

export function ownNamespace(
  configured: string,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (path) => readFileSync(path, "utf8"),
): string | undefined {
  if (configured) return configured;
  const fromEnv = env.MY_POD_NAMESPACE || env.POD_NAMESPACE;
  if (fromEnv) return fromEnv;
  try {
    return readFile(SERVICE_ACCOUNT_NAMESPACE).trim() || undefined;
  } catch {
    return undefined;
  }
}
