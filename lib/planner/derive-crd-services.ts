/**
 * CRD mode's Service DNS names (`add_svc_dns_name`, reference §4.7): a pod gets `<svc>.<ns>.svc` for every
 * Service in its namespace whose *ready* endpoints target it. Unlike the Go controller, which appended
 * names as events arrived (and never removed them), the names are derived from the Services' endpoints as
 * they are now, sorted, so adding and removing a pod from a Service converge to the same list.
 */
import type { ObjectReference, Pod } from "./k8s-objects.js";
import type { EndpointTarget, ServiceEndpoints } from "./service-endpoints.js";

/** The ready endpoints of a Service (Go's CRD controller ignored `notReadyAddresses`). */
function readyTargets(endpoints: ServiceEndpoints): EndpointTarget[] {
  return endpoints.targets.filter((target) => target.ready);
}

/** `<service>.<namespace>.svc`, exactly as the Go registrar wrote it (no cluster zone). */
export function serviceDnsName(namespace: string, service: string): string {
  return `${service}.${namespace}.svc`;
}

/** The names of the pods a Service's ready endpoints target, sorted and de-duplicated. */
export function podsTargetedBy(endpoints: ServiceEndpoints): string[] {
  const names = new Set<string>();
  for (const { targetRef } of readyTargets(endpoints)) {
    if (!isPodTarget(targetRef, endpoints.namespace)) continue;
    if (targetRef.name !== undefined && targetRef.name !== "") names.add(targetRef.name);
  }
  return [...names].sort();
}

/**
 * The Service names of one pod from the Services of its namespace (others are ignored), sorted. A target is
 * the pod when its UID matches (a same-named predecessor's stale endpoint does not count), or, for a
 * reference without a UID, when its name does.
 */
export function serviceDnsNamesForPod(pod: Pod, services: readonly ServiceEndpoints[]): string[] {
  const namespace = pod.metadata?.namespace ?? "";
  const names = new Set<string>();
  for (const endpoints of services) {
    if (endpoints.namespace !== namespace) continue;
    const targetsPod = readyTargets(endpoints).some((target) =>
      targetsThisPod(target.targetRef, pod, namespace),
    );
    if (targetsPod) names.add(serviceDnsName(namespace, endpoints.service));
  }
  return [...names].sort();
}

function isPodTarget(target: ObjectReference, namespace: string): boolean {
  const kindOk = target.kind === undefined || target.kind === "Pod";
  const namespaceOk = target.namespace === undefined || target.namespace === namespace;
  return kindOk && namespaceOk;
}

function targetsThisPod(target: ObjectReference, pod: Pod, namespace: string): boolean {
  if (!isPodTarget(target, namespace)) return false;
  if (target.uid !== undefined && target.uid !== "") return target.uid === pod.metadata?.uid;
  return target.name !== undefined && target.name === pod.metadata?.name;
}
