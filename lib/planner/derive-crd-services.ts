/**
 * CRD mode's Service DNS names (`add_svc_dns_name`, reference §4.7): a pod gets `<svc>.<ns>.svc` for every
 * Endpoints object in its namespace whose *ready* addresses target it. Unlike the Go controller, which
 * appended names as events arrived (and never removed them), the names are derived from the Endpoints as
 * they are now, sorted, so adding and removing a pod from a Service converge to the same list.
 */
import type { EndpointAddress, Endpoints, ObjectReference, Pod } from "./k8s-objects.js";

/** The ready addresses of an Endpoints object (Go's CRD controller ignored `notReadyAddresses`). */
export function readyAddresses(endpoints: Endpoints): EndpointAddress[] {
  return (endpoints.subsets ?? []).flatMap((subset) => subset.addresses ?? []);
}

/** `<endpoints name>.<namespace>.svc`, exactly as the Go registrar wrote it (no cluster zone). */
export function serviceDnsName(namespace: string, service: string): string {
  return `${service}.${namespace}.svc`;
}

/** The names of the pods an Endpoints object's ready addresses target, sorted and de-duplicated. */
export function podsTargetedBy(endpoints: Endpoints): string[] {
  const namespace = endpoints.metadata?.namespace ?? "";
  const names = new Set<string>();
  for (const address of readyAddresses(endpoints)) {
    const target = address.targetRef;
    if (target === undefined || !isPodTarget(target, namespace)) continue;
    if (target.name !== undefined && target.name !== "") names.add(target.name);
  }
  return [...names].sort();
}

/**
 * The Service names of one pod from the Endpoints of its namespace (others are ignored), sorted. A target is
 * the pod when its UID matches (a same-named predecessor's stale address does not count), or, for a
 * reference without a UID, when its name does.
 */
export function serviceDnsNamesForPod(pod: Pod, endpointsList: readonly Endpoints[]): string[] {
  const namespace = pod.metadata?.namespace ?? "";
  const names = new Set<string>();
  for (const endpoints of endpointsList) {
    if ((endpoints.metadata?.namespace ?? "") !== namespace) continue;
    const targetsPod = readyAddresses(endpoints).some(
      (address) => address.targetRef !== undefined && targetsThisPod(address.targetRef, pod, namespace),
    );
    if (targetsPod) names.add(serviceDnsName(namespace, endpoints.metadata?.name ?? ""));
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
