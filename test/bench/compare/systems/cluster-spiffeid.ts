/**
 * System "cluster-spiffeid": the project's `registrar serve --watch` (as the system "bridge") in
 * cluster-spiffeid mode, reading the same ClusterSPIFFEID as spire-controller-manager (the system
 * "scm": its set-up is shared) with the same cluster name and cluster domain, so the two write the
 * same entries (agent-ID parents, `k8s:pod-uid` selectors) but for their ids.
 */
import { TRUST_DOMAIN } from "../identity.js";
import type { NodeCommand } from "../settings.js";
import type { SystemUnderTest } from "../system.js";
import { serveWatch } from "./project-bridge.js";
import { missingScmCrds, SCM_CLUSTER_DOMAIN, setUpClusterSpiffeId } from "./scm.js";

export function projectClusterSpiffeId(node: NodeCommand, cluster: string): SystemUnderTest {
  return serveWatch(node, {
    name: "cluster-spiffeid",
    title: "project (cluster-spiffeid)",
    unavailable: missingScmCrds,
    setUp: setUpClusterSpiffeId,
    config: (context) => ({
      mode: "cluster-spiffeid",
      trust_domain: TRUST_DOMAIN,
      cluster,
      cluster_domain: SCM_CLUSTER_DOMAIN,
      log_level: context.registrarConfig.log_level ?? "info",
    }),
  });
}
