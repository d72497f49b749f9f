/**
 * A Service's endpoints changed, in CRD mode (`add_svc_dns_name`, with `pod_controller`): the pods its
 * ready endpoints target now, plus the pods whose SpiffeIDs in that namespace still carry
 * `<svc>.<ns>.svc`, are reconciled, so the Service name is added to the first and removed from pods that
 * left (or from all, when the Service has no endpoints any more). This fixes §7's endpoints bugs: no early
 * return, no label-mode ordering effect, names are removed, only registrar pod SpiffeIDs are rewritten,
 * and only that namespace is listed. An Endpoints event names its Service; an EndpointSlice event is
 * mapped to its Service by the slice's label.
 */
import { readServicesOfSlice, type ServiceRef, serviceEndpointsReader } from "../k8s/service-endpoints.js";
import { LogField } from "../log/log-fields.js";
import { podsTargetedBy } from "../planner/derive-crd-services.js";
import { namespaceFilter } from "../planner/pod-filter.js";
import { isServiceDnsName } from "../planner/scope.js";
import { isDerivedFor } from "../planner/spiffeid-owner.js";
import { addCrdSummary, type CrdContext, type CrdResult, emptyCrdSummary } from "./context.js";
import { reconcilePodSpiffeId } from "./pod-spiffeid.js";

/** The pods of one Service, or of every Service of the namespace when `service.name` is unknown. */
export async function reconcileServiceSpiffeIds(
  context: CrdContext,
  service: ServiceRef,
): Promise<CrdResult> {
  const { config, cluster, spiffeIds } = context;
  const { namespace, name } = service;
  const summary = emptyCrdSummary();
  if (!servesServiceNames(context, namespace)) return { ok: true, summary };
  const [inNamespace, spiffeIdsInNamespace] = await Promise.all([
    serviceEndpointsReader(cluster, config.endpointsSource).inNamespace(namespace),
    spiffeIds.list({ namespace }),
  ]);
  const endpoints = name === undefined ? undefined : inNamespace.find((e) => e.service === name);
  const pods = new Set(endpoints ? podsTargetedBy(endpoints) : []);
  for (const spiffeId of spiffeIdsInNamespace) {
    const carries = (spiffeId.spec.dnsNames ?? []).some((dnsName) =>
      isServiceDnsName(dnsName, namespace, name),
    );
    if (isDerivedFor(spiffeId, "Pod") && carries) pods.add(spiffeId.metadata.name);
  }
  for (const pod of [...pods].sort()) {
    const result = await reconcilePodSpiffeId(context, { namespace, name: pod }, inNamespace);
    addCrdSummary(summary, result.summary);
    if (!result.ok) return { ...result, summary };
  }
  return { ok: true, summary };
}

/** An EndpointSlice event: its Service's reconcile, re-reading the slice to learn which Service that is. */
export async function reconcileEndpointSliceSpiffeIds(
  context: CrdContext,
  namespace: string,
  name: string,
): Promise<CrdResult> {
  if (!servesServiceNames(context, namespace)) return { ok: true, summary: emptyCrdSummary() };
  const service = await readServicesOfSlice(context.cluster, namespace, name);
  if (service === undefined) {
    context.logger.debug(
      { [LogField.namespace]: namespace, [LogField.name]: name },
      "EndpointSlice without a kubernetes.io/service-name label: no Service's DNS names, ignored",
    );
    return { ok: true, summary: emptyCrdSummary() };
  }
  return reconcileServiceSpiffeIds(context, service);
}

function servesServiceNames(context: CrdContext, namespace: string): boolean {
  const { config } = context;
  return (
    config.addSvcDnsName && context.podController && namespaceFilter(config.disabledNamespaces)(namespace)
  );
}
