/**
 * An Endpoints event in CRD mode (`add_svc_dns_name`, with `pod_controller`): the pods its ready addresses
 * target now, plus the pods whose SpiffeIDs in that namespace still carry `<svc>.<ns>.svc`, are reconciled,
 * so the Service name is added to the first and removed from pods that left (or from all, when the
 * Endpoints is deleted). This fixes §7's endpoints bugs: no early return, no label-mode ordering effect,
 * names are removed, only registrar pod SpiffeIDs are rewritten, and only that namespace is listed.
 */
import { serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { podsTargetedBy, serviceDnsName } from "../planner/derive-crd-services.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import { isDerivedFor } from "../planner/spiffeid-owner.js";
import { addCrdSummary, type CrdContext, type CrdResult, emptyCrdSummary } from "./context.js";
import { reconcilePodSpiffeId } from "./pod-spiffeid.js";

export async function reconcileEndpointsSpiffeIds(
  context: CrdContext,
  namespace: string,
  name: string,
): Promise<CrdResult> {
  const { config, cluster, spiffeIds } = context;
  const summary = emptyCrdSummary();
  if (
    !config.addSvcDnsName ||
    !context.podController ||
    !namespaceFilter(config.disabledNamespaces)(namespace)
  )
    return { ok: true, summary };
  const [inNamespace, spiffeIdsInNamespace] = await Promise.all([
    serviceEndpointsReader(cluster, config.endpointsSource).inNamespace(namespace),
    spiffeIds.list({ namespace }),
  ]);
  const endpoints = inNamespace.find((service) => service.service === name);
  const pods = new Set(endpoints ? podsTargetedBy(endpoints) : []);
  const serviceName = serviceDnsName(namespace, name);
  for (const spiffeId of spiffeIdsInNamespace) {
    if (isDerivedFor(spiffeId, "Pod") && (spiffeId.spec.dnsNames ?? []).includes(serviceName))
      pods.add(spiffeId.metadata.name);
  }
  for (const pod of [...pods].sort()) {
    const result = await reconcilePodSpiffeId(context, { namespace, name: pod }, inNamespace);
    addCrdSummary(summary, result.summary);
    if (!result.ok) return { ...result, summary };
  }
  return { ok: true, summary };
}
