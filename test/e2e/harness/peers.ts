import { accessSync, constants } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/**
 * The peer binaries built by `npm run peers` (scripts/peers.sh). The last ones are optional
 * (`PEERS=all`): the Go registrar v1.5.6 (reconcile and crd modes), spire-controller-manager,
 * and the seed's own release v0.11.1 (its registrar speaks webhook mode to a spire-server of the
 * same release).
 */
export type PeerName =
  | "etcd"
  | "kube-apiserver"
  | "spire-server"
  | "spire-agent"
  | "kustomize"
  | "kube-controller-manager"
  | "kube-scheduler"
  | "kwok"
  | "queue-proxy"
  | "mtping"
  | "apiserver_receive_adapter"
  | "k8s-workload-registrar"
  | "spire-controller-manager"
  | "k8s-workload-registrar-v0.11.1"
  | "spire-server-v0.11.1"
  | "spire-agent-v0.11.1";

/**
 * The directory holding the peer binaries: `PEERS_BIN`, else the bin dir of the cache
 * scripts/peers.sh builds into (`PEERS_CACHE`, else `$XDG_CACHE_HOME` or `~/.cache`,
 * then `spire-registrar-peers/bin`).
 */
export function peersDir(): string {
  const explicit = process.env.PEERS_BIN;
  if (explicit !== undefined && explicit !== "") return explicit;
  const cache =
    process.env.PEERS_CACHE ||
    join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "spire-registrar-peers");
  return join(cache, "bin");
}

/**
 * A directory scripts/peers.sh keeps beside the binaries, e.g. "scm-crds" (spire-controller-manager's
 * CRDs), whether or not it exists.
 */
export function peersCacheDir(name: string): string {
  return join(dirname(peersDir()), name);
}

/** The path of one peer binary (whether or not it exists). */
export function peerBinary(name: PeerName): string {
  return join(peersDir(), name);
}

/** The outcome of `requirePeers`: the binary paths, and which of them are missing. */
export interface PeerSet<N extends PeerName> {
  /** True when every requested binary exists and is executable. */
  available: boolean;
  paths: Record<N, string>;
  missing: N[];
}

/**
 * Resolves the binaries a test file needs. When one is missing it throws in CI
 * (`CI=true`), so the suite fails instead of passing on nothing; elsewhere it returns
 * `available: false` and logs why, and the caller skips: `describe.skipIf(!peers.available)`.
 */
export function requirePeers<N extends PeerName>(names: readonly N[]): PeerSet<N> {
  const paths = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of names) {
    const path = peerBinary(name);
    paths[name] = path;
    if (!isExecutable(path)) missing.push(name);
  }
  if (missing.length === 0) return { available: true, paths, missing };
  const message =
    `end-to-end peers missing in ${peersDir()}: ${missing.join(", ")}. ` +
    "Run `npm run peers` to build them (or set PEERS_BIN to a directory that has them).";
  if (process.env.CI === "true") throw new Error(message);
  process.stderr.write(`[e2e] skipping: ${message}\n`);
  return { available: false, paths, missing };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * For `describe.skipIf(skipWithoutPeers([...]))`: true when a binary is missing outside CI;
 * throws in CI (see `requirePeers`).
 */
export function skipWithoutPeers(names: readonly PeerName[]): boolean {
  return !requirePeers(names).available;
}
