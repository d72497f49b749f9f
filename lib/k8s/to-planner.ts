/**
 * Narrows API objects (JSON as the API server serves it) to the planner's views: only the fields
 * the planner reads are kept, so a 10,000-pod snapshot stays small. The planner's types are already
 * the JSON's shape, so an API object is read through them and copied field by field.
 */
import { SERVICE_NAME_LABEL } from "../planner/endpoint-slices.js";
import type {
  EndpointAddress,
  EndpointSlice,
  Endpoints,
  Node,
  ObjectMeta,
  ObjectReference,
  Pod,
} from "../planner/k8s-objects.js";

export function toPlannerPod(pod: Pod): Pod {
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

export function toPlannerNode(node: Node): Node {
  return {
    metadata: { name: node.metadata?.name, uid: node.metadata?.uid, annotations: node.metadata?.annotations },
  };
}

export function toPlannerEndpoints(endpoints: Endpoints): Endpoints {
  return {
    metadata: { name: endpoints.metadata?.name, namespace: endpoints.metadata?.namespace },
    subsets: endpoints.subsets?.map((subset) => ({
      addresses: subset.addresses?.map(address),
      notReadyAddresses: subset.notReadyAddresses?.map(address),
    })),
  };
}

/** Of the labels only the one naming the slice's Service, the only one read. */
export function toPlannerEndpointSlice(slice: EndpointSlice): EndpointSlice {
  const service = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  return {
    metadata: {
      name: slice.metadata?.name,
      namespace: slice.metadata?.namespace,
      labels: service === undefined ? undefined : { [SERVICE_NAME_LABEL]: service },
    },
    addressType: slice.addressType,
    endpoints: slice.endpoints?.map((endpoint) => ({
      addresses: endpoint.addresses,
      conditions: endpoint.conditions && {
        ready: endpoint.conditions.ready,
        terminating: endpoint.conditions.terminating,
      },
      hostname: endpoint.hostname,
      targetRef: reference(endpoint.targetRef),
    })),
  };
}

function address(value: EndpointAddress): EndpointAddress {
  return { ip: value.ip, hostname: value.hostname, targetRef: reference(value.targetRef) };
}

function reference(target: ObjectReference | undefined): ObjectReference | undefined {
  return target && { kind: target.kind, name: target.name, namespace: target.namespace, uid: target.uid };
}

function meta(metadata: ObjectMeta | undefined): ObjectMeta {
  return {
    name: metadata?.name,
    namespace: metadata?.namespace,
    uid: metadata?.uid,
    labels: metadata?.labels,
    annotations: metadata?.annotations,
    deletionTimestamp: metadata?.deletionTimestamp,
  };
}
