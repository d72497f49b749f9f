/**
 * The in-cluster target of a pod: the API server at `KUBERNETES_SERVICE_HOST`:`KUBERNETES_SERVICE_PORT`,
 * verified with the service account's `ca.crt`, authenticated with its `token` (re-read as the
 * kubelet rotates it), in the namespace of its `namespace` file.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import { join } from "node:path";
import { tokenFile } from "./credentials.js";
import type { KubeTarget } from "./kube-target.js";
import { KubeconfigProblem } from "./kubeconfig-files.js";

/** Where the kubelet mounts the service account's token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * The in-cluster target, or undefined outside a pod (the two variables unset). Throws
 * KubeconfigProblem when inside a pod the CA or token cannot be read.
 */
export function inClusterTarget(
  env: Readonly<Record<string, string | undefined>>,
  serviceAccountDir: string,
  now: () => number,
): KubeTarget | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  const caPath = join(serviceAccountDir, "ca.crt");
  const tokenPath = join(serviceAccountDir, "token");
  let ca: Buffer;
  try {
    ca = readFileSync(caPath);
    accessSync(tokenPath, constants.R_OK);
  } catch (error) {
    throw new KubeconfigProblem(`in-cluster configuration: ${(error as Error).message}`);
  }
  let namespace: string | undefined;
  try {
    namespace = readFileSync(join(serviceAccountDir, "namespace"), "utf8").trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return Object.freeze({
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    tls: Object.freeze({ ca, insecureSkipVerify: false }),
    credentials: tokenFile(tokenPath, { now }),
    namespace,
    source: "in-cluster",
  });
}
