/**
 * Finds the API server the registrar talks to, so the same function runs in a cluster and from a
 * laptop. Sources, first match wins:
 *
 * 1. an explicit kubeconfig file (`--kubeconfig`, `RuntimeOptions.kubeconfigPath`);
 * 2. `KUBECONFIG`: a colon-separated list of files merged like kubectl (the first file that defines
 *    a cluster, user or context name wins; `current-context` from the first file that sets it;
 *    files that do not exist are skipped, but at least one must exist);
 * 3. `~/.kube/config`;
 * 4. in-cluster: `KUBERNETES_SERVICE_HOST` / `KUBERNETES_SERVICE_PORT` and the service account's
 *    token, `ca.crt` and `namespace`.
 *
 * The result is an immutable KubeTarget; problems are returned as one message naming the file and key.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { fail, ok, type Result } from "../spiffe/result.js";
import { inClusterTarget, SERVICE_ACCOUNT_DIR } from "./in-cluster.js";
import type { KubeTarget } from "./kube-target.js";
import { KubeconfigProblem, readKubeconfigFiles } from "./kubeconfig-files.js";
import { targetOfCurrentContext } from "./kubeconfig-target.js";

export type { KubeTarget } from "./kube-target.js";

export const NO_KUBECONFIG = "no kubeconfig found: use --kubeconfig, KUBECONFIG, or run in a cluster";

export interface LoadKubeconfigOptions {
  /** An explicit kubeconfig file; when given, nothing else is consulted. */
  readonly path?: string;
  /** Environment (`KUBECONFIG`, `KUBERNETES_SERVICE_*`); default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Home directory holding `.kube/config`; default the user's. */
  readonly homeDir?: string;
  /** The service account directory; default /var/run/secrets/kubernetes.io/serviceaccount. */
  readonly serviceAccountDir?: string;
  /** Clock for token caching; default Date.now. */
  readonly now?: () => number;
}

export function loadKubeconfig(options: LoadKubeconfigOptions = {}): Result<KubeTarget, string> {
  const env = options.env ?? process.env;
  const now = options.now ?? Date.now;
  try {
    if (options.path) return ok(targetOfCurrentContext(readKubeconfigFiles([options.path]), now));
    const listed = (env.KUBECONFIG ?? "").split(delimiter).filter(Boolean);
    if (listed.length > 0) {
      const existing = listed.filter((file) => existsSync(file));
      if (existing.length === 0) return fail(`KUBECONFIG names no existing file: ${listed.join(", ")}`);
      return ok(targetOfCurrentContext(readKubeconfigFiles(existing), now));
    }
    const home = join(options.homeDir ?? homedir(), ".kube", "config");
    if (existsSync(home)) return ok(targetOfCurrentContext(readKubeconfigFiles([home]), now));
    const inCluster = inClusterTarget(env, options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR, now);
    return inCluster ? ok(inCluster) : fail(NO_KUBECONFIG);
  } catch (error) {
    // Validation deep inside a document stops at the first problem; the exception carries it here.
    if (error instanceof KubeconfigProblem) return fail(error.message);
    throw error;
  }
}
