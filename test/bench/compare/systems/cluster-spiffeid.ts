/**
 * Systems "cluster-spiffeid" and "cluster-spiffeid-knative": the project in cluster-spiffeid mode, reading the
 * same ClusterSPIFFEID as spire-controller-manager (the system "scm": its set-up is shared) with the same
 * cluster name and cluster domain, so they write the same entries (agent-ID parents, `k8s:pod-uid` selectors)
 * but for their ids. "cluster-spiffeid" is `registrar serve --watch` (as the system "bridge": event passes
 * read the cluster from its watch cache); "cluster-spiffeid-knative" the functions behind Knative's
 * ApiServerSource adapter (as the system "knative": event passes read the cluster from the API server), in
 * Resource mode as the overlay's Pod source.
 */
import { TRUST_DOMAIN } from "../identity.js";
import type { NodeCommand } from "../settings.js";
import type { RunContext, SystemUnderTest } from "../system.js";
import { serveWatch } from "./project-bridge.js";
import { knativeFunctions } from "./project-knative.js";
import { missingScmCrds, SCM_CLUSTER_DOMAIN, setUpClusterSpiffeId } from "./scm.js";

function config(context: RunContext, cluster: string) {
  return {
    mode: "cluster-spiffeid",
    trust_domain: TRUST_DOMAIN,
    cluster,
    cluster_domain: SCM_CLUSTER_DOMAIN,
    log_level: context.registrarConfig.log_level ?? "info",
  };
}

export function projectClusterSpiffeId(node: NodeCommand, cluster: string): SystemUnderTest {
  return serveWatch(node, {
    name: "cluster-spiffeid",
    title: "project (cluster-spiffeid)",
    unavailable: missingScmCrds,
    setUp: setUpClusterSpiffeId,
    config: (context) => config(context, cluster),
  });
}

export function projectClusterSpiffeIdKnative(node: NodeCommand, cluster: string): SystemUnderTest {
  const scm = (Resource: string) => ({ Group: "spire.spiffe.io", Version: "v1alpha1", Resource });
  return knativeFunctions(node, {
    name: "cluster-spiffeid-knative",
    title: "project (cluster-spiffeid, Knative adapter)",
    unavailable: missingScmCrds,
    setUp: setUpClusterSpiffeId,
    config: (context) => config(context, cluster),
    resources: [
      { Group: "", Version: "v1", Resource: "pods" },
      { Group: "", Version: "v1", Resource: "nodes" },
      { Group: "", Version: "v1", Resource: "namespaces" },
      { Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices" },
      scm("clusterspiffeids"),
      scm("clusterstaticentries"),
      scm("clusterfederatedtrustdomains"),
    ],
    mode: "Resource",
  });
}
