/**
 * Loads the Kubernetes client configuration: an explicit kubeconfig file when given, else the
 * standard order of client-node (`KUBECONFIG`, `~/.kube/config`, then the in-cluster service
 * account), so the same function runs in a cluster and from a laptop.
 */
import { KubeConfig } from "@kubernetes/client-node";

export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
  else kubeConfig.loadFromDefault();
  if (!kubeConfig.getCurrentCluster()) {
    throw new Error(
      kubeconfigPath
        ? `kubeconfig ${kubeconfigPath} has no current cluster`
        : "no Kubernetes configuration found: set KUBECONFIG, pass --kubeconfig, or run in a pod with a service account",
    );
  }
  return kubeConfig;
}
