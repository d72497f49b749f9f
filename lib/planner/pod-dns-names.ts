/**
 * Reconcile mode's pod DNS names (`add_pod_dns_names`, reference §3.5), in the Go registrar's order: the
 * pod-IP names first (the first one is the certificate's CN and unique to the pod), then the sorted set of
 * Service names from the Services whose endpoints (ready or not) target the pod. Names are not validated
 * here.
 */
import type { EndpointsIndex } from "./endpoints-index.js";
import type { Pod } from "./k8s-objects.js";
import type { EndpointTarget } from "./service-endpoints.js";

/**
 * An IP as a DNS label: `.` and `:` become `-`. Go replaced only `.` when present, else only `:`, which left
 * `:` in IPv4-mapped IPv6 addresses (reference §7); for plain IPv4 and IPv6 the result is the same.
 */
export function mungeIp(ip: string): string {
  return ip.replaceAll(".", "-").replaceAll(":", "-");
}

/** The DNS names of `pod`; none until it has an IP. */
export function derivePodDnsNames(pod: Pod, endpointsIndex: EndpointsIndex, zone: string): string[] {
  const ip = pod.status?.podIP ?? "";
  if (ip === "") return [];
  const name = pod.metadata?.name ?? "";
  const namespace = pod.metadata?.namespace ?? "";
  const podIpName = `${mungeIp(ip)}.${namespace}.pod`;
  const serviceNames = new Set<string>();
  for (const { service, namespace: serviceNamespace, targets } of endpointsIndex.forPod(namespace, name)) {
    if (!isDnsNameComponent(service) || !isDnsNameComponent(serviceNamespace)) continue;
    addSearchPathNames(serviceNames, service, serviceNamespace, zone);
    for (const target of targets) {
      const ref = target.targetRef;
      if (ref.kind !== "Pod" || ref.name !== name || ref.namespace !== namespace) continue;
      if (isDnsNameComponent(target.hostname ?? "")) {
        addSearchPathNames(serviceNames, `${target.hostname}.${service}`, serviceNamespace, zone);
        continue;
      }
      addSearchPathNames(
        serviceNames,
        `${mungeIp(endpointIp(target, ip))}.${service}`,
        serviceNamespace,
        zone,
      );
      if (isDnsNameComponent(name))
        addSearchPathNames(serviceNames, `${name}.${service}`, serviceNamespace, zone);
    }
  }
  return [`${podIpName}.${zone}`, podIpName, ...[...serviceNames].sort()];
}

/**
 * The IP a target's name is built from (Go used the Endpoints address's IP, not the pod's). An Endpoints
 * address has one, of the Service's first IP family; a dual-stack Service's slices give one per family,
 * and the one of the pod's own IP family is taken, which is the Service's first family unless the
 * Service asks for the other order.
 */
function endpointIp(target: EndpointTarget, podIp: string): string {
  const isIpv6 = (ip: string) => ip.includes(":");
  return target.ips.find((ip) => isIpv6(ip) === isIpv6(podIp)) ?? target.ips[0] ?? "";
}

/** The four names a pod's resolver search path makes reachable for `prefix` in `namespace`. */
function addSearchPathNames(names: Set<string>, prefix: string, namespace: string, zone: string): void {
  names.add(`${prefix}.${namespace}.svc.${zone}`);
  names.add(`${prefix}.${namespace}.svc`);
  names.add(`${prefix}.${namespace}`);
  names.add(prefix);
}

/** Go's `isValidK8sDNSNameComponent`: non-empty and without dots. */
function isDnsNameComponent(value: string): boolean {
  return value !== "" && !value.includes(".");
}
