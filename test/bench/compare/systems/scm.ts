/**
 * System "scm": spire-controller-manager v0.6.6 out of a cluster, started by the e2e harness, with
 * one ClusterSPIFFEID for every pod whose SPIFFE IDs are the project's
 * (`ns/<namespace>/sa/<service account>`). Its parents are agent IDs and its selector is the pod's
 * UID, by design, so only its timings compare.
 */
import { existsSync } from "node:fs";
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { applyCrds } from "../../../e2e/harness/crds.js";
import { peersCacheDir } from "../../../e2e/harness/peers.js";
import { scmCrdFiles, startSpireControllerManager } from "../../../e2e/harness/scm.js";
import type { RunContext, RunningSystem, SystemUnderTest } from "../system.js";
import { missingPeer } from "./peer-binary.js";

export const SCM_SPIFFE_ID_TEMPLATE =
  "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";

export function spireControllerManager(cluster: string): SystemUnderTest {
  return {
    name: "scm",
    title: "SCM v0.6.6",
    unavailable: () =>
      missingPeer("spire-controller-manager") ??
      (existsSync(peersCacheDir("scm-crds"))
        ? undefined
        : `${peersCacheDir("scm-crds")} is missing: run PEERS=all npm run peers`),
    async setUp(kubeConfig: KubeConfig) {
      await applyCrds(kubeConfig, await scmCrdFiles());
      await kubeConfig.makeApiClient(CustomObjectsApi).createClusterCustomObject({
        group: "spire.spiffe.io",
        version: "v1alpha1",
        plural: "clusterspiffeids",
        body: {
          apiVersion: "spire.spiffe.io/v1alpha1",
          kind: "ClusterSPIFFEID",
          metadata: { name: "bench" },
          spec: { spiffeIDTemplate: SCM_SPIFFE_ID_TEMPLATE },
        },
      });
    },
    async start(context: RunContext): Promise<RunningSystem> {
      const scm = await startSpireControllerManager({
        server: context.spire,
        kubeconfigPath: context.kubeconfigPath,
        clusterName: cluster,
        config: { logLevel: "info" },
        log: context.log,
      });
      context.own("registrar", scm);
      return { logPaths: [scm.logPath, scm.configPath] };
    },
  };
}
