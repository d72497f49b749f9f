/**
 * Maps client-node objects to the planner's narrow, JSON-shaped views: only the fields the planner
 * reads are kept (a 10,000-pod snapshot stays small) and Dates become RFC 3339 strings.
 */
import type { V1Endpoints, V1Node, V1ObjectMeta, V1Pod } from "@kubernetes/client-node";
import type { EndpointAddress, Endpoints, Node, ObjectMeta, Pod } from "../planner/k8s-objects.js";

export function toPlannerPod(pod: V1Pod): Pod {
  return {
    metadata: meta(pod.metadata),
    spec: {
      nodeName: pod.spec?.nodeName,
      serviceAccountName: pod.spec?.serviceAccountName,
      hostname: pod.spec?.hostname,
      subdomain: pod.spec?.subdomain,
    },
    status: {
      phase: pod.status?.phase,
      podIP: pod.status?.podIP,
      podIPs: pod.status?.podIPs?.map((podIp) => ({ ip: podIp.ip })),
    },
  };
}

export function toPlannerNode(node: V1Node): Node {
  const { name, uid, annotations } = meta(node.metadata);
  return { metadata: { name, uid, annotations } };
}

export function toPlannerEndpoints(endpoints: V1Endpoints): Endpoints {
  return {
    metadata: { name: endpoints.metadata?.name, namespace: endpoints.metadata?.namespace },
    subsets: endpoints.subsets?.map((subset) => ({
      addresses: subset.addresses?.map(address),
      notReadyAddresses: subset.notReadyAddresses?.map(address),
    })),
  };
}

function address(value: {
  ip?: string;
  hostname?: string;
  targetRef?: { kind?: string; name?: string; namespace?: string; uid?: string };
}): EndpointAddress {
  const target = value.targetRef;
  return {
    ip: value.ip,
    hostname: value.hostname,
    targetRef: target && {
      kind: target.kind,
      name: target.name,
      namespace: target.namespace,
      uid: target.uid,
    },
  };
}

function meta(metadata: V1ObjectMeta | undefined): ObjectMeta {
  const deletion = metadata?.deletionTimestamp as Date | string | undefined;
  return {
    name: metadata?.name,
    namespace: metadata?.namespace,
    uid: metadata?.uid,
    labels: metadata?.labels,
    annotations: metadata?.annotations,
    deletionTimestamp: deletion instanceof Date ? deletion.toISOString() : deletion,
  };
}
