/** Builders for planner inputs: plain objects shaped like the Kubernetes JSON the planner reads. */

import { SERVICE_NAME_LABEL } from "../../../lib/planner/endpoint-slices.js";
import type { Entry, EntrySpec } from "../../../lib/planner/entry.js";
import type {
  EndpointAddress,
  EndpointSlice,
  EndpointSliceEndpoint,
  Endpoints,
  Node,
  Pod,
} from "../../../lib/planner/k8s-objects.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import {
  type ServiceEndpoints,
  serviceEndpointsFromEndpoints,
} from "../../../lib/planner/service-endpoints.js";

/** A reconcile-mode config in the spirit of reference §6.5/§6.6 (td `example.test`, cluster `test-cluster`). */
export function reconcileConfig(overrides: Partial<PlannerConfig> = {}): PlannerConfig {
  return {
    mode: "reconcile",
    trustDomain: "example.test",
    cluster: "test-cluster",
    controllerName: "spire-k8s-registrar",
    podLabel: "",
    podAnnotation: "",
    identityTemplate: "",
    identityTemplateLabel: "",
    context: {},
    dnsNameTemplates: [],
    addPodDnsNames: false,
    clusterDnsZone: "cluster.local",
    disabledNamespaces: ["kube-system", "kube-public"],
    addSvcDnsName: false,
    endpointsSource: "endpointslices",
    ...overrides,
  };
}

export interface PodOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly node?: string;
  readonly serviceAccount?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly phase?: string;
  readonly podIP?: string;
  readonly hostname?: string;
  readonly deletionTimestamp?: string;
}

export function pod(options: PodOptions = {}): Pod {
  return {
    metadata: {
      name: options.name ?? "foo",
      namespace: options.namespace ?? "bar",
      uid: `uid-${options.name ?? "foo"}`,
      ...(options.labels === undefined ? {} : { labels: options.labels }),
      ...(options.annotations === undefined ? {} : { annotations: options.annotations }),
      ...(options.deletionTimestamp === undefined ? {} : { deletionTimestamp: options.deletionTimestamp }),
    },
    spec: {
      ...(options.node === "" ? {} : { nodeName: options.node ?? "baz" }),
      serviceAccountName: options.serviceAccount ?? "sa1",
      ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    },
    status: {
      phase: options.phase ?? "Running",
      ...(options.podIP === undefined ? {} : { podIP: options.podIP }),
    },
  };
}

export function node(name: string, annotations?: Record<string, string>): Node {
  return { metadata: { name, uid: `uid-${name}`, ...(annotations === undefined ? {} : { annotations }) } };
}

export function podAddress(ip: string, namespace: string, name: string, hostname?: string): EndpointAddress {
  return {
    ip,
    ...(hostname === undefined ? {} : { hostname }),
    targetRef: { kind: "Pod", namespace, name, uid: `uid-${name}` },
  };
}

/** A core/v1 Endpoints object with one subset. */
export function coreEndpoints(
  namespace: string,
  name: string,
  addresses: EndpointAddress[],
  notReadyAddresses: EndpointAddress[] = [],
): Endpoints {
  return { metadata: { namespace, name }, subsets: [{ addresses, notReadyAddresses }] };
}

/** The planner's view of `coreEndpoints(...)`: what the registrar reads with `endpoints_source = "endpoints"`. */
export function endpoints(
  namespace: string,
  name: string,
  addresses: EndpointAddress[],
  notReadyAddresses: EndpointAddress[] = [],
): ServiceEndpoints {
  return serviceEndpointsFromEndpoints(coreEndpoints(namespace, name, addresses, notReadyAddresses));
}

export interface SliceEndpointOptions {
  readonly hostname?: string;
  /** Left unset when undefined (the API's "unknown", read as ready). */
  readonly ready?: boolean;
  readonly terminating?: boolean;
}

/** An EndpointSlice endpoint targeting pod `name`, as the EndpointSlice controller writes it. */
export function sliceEndpoint(
  ip: string,
  namespace: string,
  name: string,
  options: SliceEndpointOptions = {},
): EndpointSliceEndpoint {
  const { hostname, ready, terminating } = options;
  return {
    addresses: [ip],
    conditions: {
      ...(ready === undefined ? {} : { ready }),
      ...(terminating === undefined ? {} : { terminating }),
    },
    ...(hostname === undefined ? {} : { hostname }),
    targetRef: { kind: "Pod", namespace, name, uid: `uid-${name}` },
  };
}

/** An EndpointSlice of `service` (labelled `kubernetes.io/service-name`; no label when undefined). */
export function endpointSlice(
  namespace: string,
  name: string,
  service: string | undefined,
  endpoints: EndpointSliceEndpoint[],
  addressType = "IPv4",
): EndpointSlice {
  return {
    metadata: {
      namespace,
      name,
      ...(service === undefined ? {} : { labels: { [SERVICE_NAME_LABEL]: service } }),
    },
    addressType,
    endpoints,
  };
}

/** An entry spec with the defaults the registrar uses. */
export function spec(
  spiffeId: string,
  parentId: string,
  selectors: string[],
  extra: Partial<EntrySpec> = {},
): EntrySpec {
  return {
    spiffeId,
    parentId,
    selectors: selectors.map((text) => {
      const colon = text.indexOf(":");
      return { type: text.slice(0, colon), value: text.slice(colon + 1) };
    }),
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...extra,
  };
}

export function entry(id: string, base: EntrySpec, extra: Partial<EntrySpec> = {}): Entry {
  return { ...base, ...extra, id };
}
