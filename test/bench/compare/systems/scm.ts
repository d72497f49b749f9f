/**
 * System "scm": spire-controller-manager v0.6.6 out of a cluster, started by the e2e harness, with
 * one ClusterSPIFFEID for every pod whose SPIFFE IDs are the project's
 * (`ns/<namespace>/sa/<service account>`). Its parents are agent IDs and its selector is the pod's
 * UID, by design, so only its timings compare with the reconcile-mode systems; the project's
 * cluster-spiffeid mode (cluster-spiffeid.ts) reads the same ClusterSPIFFEID and writes the same
 * entries.
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

/** The cluster domain both readers of the ClusterSPIFFEID are configured with (the harness sets SCM's). */
export const SCM_CLUSTER_DOMAIN = "cluster.local";

export function spireControllerManager(cluster: string): SystemUnderTest {
  return {
    name: "scm",
    title: "SCM v0.6.6",
    unavailable: () => missingPeer("spire-controller-manager") ?? missingScmCrds(),
    setUp: setUpClusterSpiffeId,
    async start(context: RunContext): Promise<RunningSystem> {
      const scm = await startSpireControllerManager({
        server: context.spire,
        kubeconfigPath: context.kubeconfigPath,
        clusterName: cluster,
        config: { logLevel: "info", clusterDomain: SCM_CLUSTER_DOMAIN },
        log: context.log,
      });
      context.own("registrar", scm);
      return { logPaths: [scm.logPath, scm.configPath] };
    },
  };
}

/** Why SCM's CRDs cannot be applied here (their files are missing), or undefined when they can. */
export function missingScmCrds(): string | undefined {
  return existsSync(peersCacheDir("scm-crds"))
    ? undefined
    : `${peersCacheDir("scm-crds")} is missing: run PEERS=all npm run peers`;
}

/** One set-up per API server, whichever of the systems reading ClusterSPIFFEIDs asks first. */
const setUps = new WeakMap<KubeConfig, Promise<void>>();

/**
 * SCM's CRDs and the benchmark's one ClusterSPIFFEID (`bench`, SCM_SPIFFE_ID_TEMPLATE), once per
 * API server: the systems "scm" and "cluster-spiffeid" both call it.
 */
export function setUpClusterSpiffeId(kubeConfig: KubeConfig): Promise<void> {
  let setUp = setUps.get(kubeConfig);
  if (setUp === undefined) {
    setUp = (async () => {
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
    })();
    setUps.set(kubeConfig, setUp);
  }
  return setUp;
}
