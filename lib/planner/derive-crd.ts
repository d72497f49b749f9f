/**
 * CRD-mode derivation (reference §4.5, §4.6 with the v1.5.6 templates): the SpiffeID resource the registrar
 * wants for each pod and node. Pure: the shell compares these with the SpiffeIDs that exist and writes the
 * difference; the SpiffeID sync then turns each resource into a SPIRE entry.
 */
import { fail, ok, type Result } from "../spiffe/result.js";
import { serviceDnsNamesForPod } from "./derive-crd-services.js";
import { acceptedDnsNames, federatesWith, requireConfigId } from "./derive-shared.js";
import { parseDnsNameTemplates, renderDnsNames } from "./dns-name-templates.js";
import type { ClusterSnapshot, Node, Pod } from "./k8s-objects.js";
import type { PlannerConfig } from "./planner-config.js";
import { namespaceFilter } from "./pod-filter.js";
import { type PodIdentityRule, parsePodIdentityRule, templatePod } from "./pod-identity.js";
import { registrablePod } from "./registrable-pod.js";
import { crdNodeId, serverId } from "./registrar-ids.js";
import type { ServiceEndpoints } from "./service-endpoints.js";
import type { OwnerReference, SpiffeIdSpec } from "./spiffeid.js";
import { ownerReferenceTo } from "./spiffeid-owner.js";
import type { Template } from "./template.js";
import type { Derivation, Warning } from "./warning.js";

/** The registrar-managed part of a SpiffeID: what a derived resource must look like. */
export interface DesiredSpiffeId {
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly ownerReferences: readonly OwnerReference[];
  };
  readonly spec: SpiffeIdSpec;
}

/** The parsed pod rules of a config: the identity rule and the DNS-name templates, parsed once. */
export interface CrdPodRules {
  readonly config: PlannerConfig;
  readonly identity: PodIdentityRule;
  readonly dnsNameTemplates: readonly Template[];
  readonly isEnabled: (namespace: string) => boolean;
}

/** Parses the identity and DNS-name templates; the error is Go's (`parsing ... template: ...`). */
export function parseCrdPodRules(config: PlannerConfig): Result<CrdPodRules> {
  const identity = parsePodIdentityRule(config);
  if (!identity.ok) return identity;
  const dnsNameTemplates = parseDnsNameTemplates(config.dnsNameTemplates, config.context);
  if (!dnsNameTemplates.ok) return fail(dnsNameTemplates.error);
  return ok({
    config,
    identity: identity.value,
    dnsNameTemplates: dnsNameTemplates.value,
    isEnabled: namespaceFilter(config.disabledNamespaces),
  });
}

/**
 * The SpiffeID of one pod, or undefined when it gets none: a disabled namespace, no node yet, a terminal
 * phase, no identity (label, annotation or template gate absent), or an invalid ID (with a warning).
 * `endpoints` are the Services' endpoints of the pod's namespace (used only with `add_svc_dns_name`).
 */
export function derivePodSpiffeIdResource(
  pod: Pod,
  endpoints: readonly ServiceEndpoints[],
  rules: CrdPodRules,
  warnings: Warning[],
): DesiredSpiffeId | undefined {
  const { config } = rules;
  const registrable = registrablePod(
    pod,
    { ...rules, trustDomain: config.trustDomain, parentOf: (nodeName) => crdNodeId(config, nodeName) },
    warnings,
  );
  if (registrable === undefined) return undefined;
  const { namespace, name, nodeName, object } = registrable;
  const uid = pod.metadata?.uid ?? "";
  const rendered = renderDnsNames(rules.dnsNameTemplates, templatePod(pod));
  const services = config.addSvcDnsName ? serviceDnsNamesForPod(pod, endpoints) : [];
  const dnsNames = [...new Set(acceptedDnsNames([...rendered, ...services], object, warnings))];
  const federated = federatesWith(pod.metadata?.annotations, object, warnings);
  return {
    metadata: {
      name,
      namespace,
      labels: { podUid: uid },
      ownerReferences: [ownerReferenceTo("Pod", name, uid)],
    },
    spec: {
      spiffeId: registrable.spiffeId,
      parentId: registrable.parentId,
      selector: { podUid: uid, namespace, nodeName },
      dnsNames,
      ...(federated.length > 0 ? { federatesWith: federated } : {}),
    },
  };
}

/**
 * The SpiffeID of one node, in the registrar's namespace, named like the node (as in Go, for
 * compatibility): parent the SPIRE server, ID `spiffe://<td>/k8s-workload-registrar/<cluster>/node/<node>`,
 * selectors `k8s_psat:cluster:<cluster>` and `k8s_psat:agent_node_uid:<uid>`.
 */
export function deriveNodeSpiffeIdResource(
  node: Node,
  config: PlannerConfig,
  registrarNamespace: string,
  warnings: Warning[],
): DesiredSpiffeId | undefined {
  const name = node.metadata?.name ?? "";
  const uid = node.metadata?.uid ?? "";
  const spiffeId = crdNodeId(config, name);
  if (!spiffeId.ok) {
    warnings.push({
      code: "invalid-spiffe-id",
      object: { kind: "Node", name },
      message: `node name is not a valid ID segment: ${spiffeId.error}`,
    });
    return undefined;
  }
  return {
    metadata: {
      name,
      namespace: registrarNamespace,
      labels: { nodeUid: uid },
      ownerReferences: [ownerReferenceTo("Node", name, uid)],
    },
    spec: {
      spiffeId: spiffeId.value,
      parentId: requireConfigId(serverId(config.trustDomain), "trust_domain"),
      selector: { cluster: config.cluster, agent_node_uid: uid },
    },
  };
}

/** Every pod and node SpiffeID of a snapshot (the resync's desired state). Nodes are first. */
export function deriveCrdSpiffeIds(
  snapshot: ClusterSnapshot,
  config: PlannerConfig,
  registrarNamespace: string,
): Derivation<DesiredSpiffeId> {
  const desired: DesiredSpiffeId[] = [];
  const warnings: Warning[] = [];
  for (const node of snapshot.nodes) {
    const spiffeId = deriveNodeSpiffeIdResource(node, config, registrarNamespace, warnings);
    if (spiffeId !== undefined) desired.push(spiffeId);
  }
  const rules = parseCrdPodRules(config);
  if (!rules.ok) {
    if (snapshot.pods.length > 0)
      warnings.push({
        code: "invalid-template",
        object: { kind: "Config", name: "templates" },
        message: rules.error,
      });
    return { desired, warnings };
  }
  const endpointsByNamespace = new Map<string, ServiceEndpoints[]>();
  for (const endpoints of snapshot.endpoints) {
    const list = endpointsByNamespace.get(endpoints.namespace);
    if (list === undefined) endpointsByNamespace.set(endpoints.namespace, [endpoints]);
    else list.push(endpoints);
  }
  for (const pod of snapshot.pods) {
    const inNamespace = endpointsByNamespace.get(pod.metadata?.namespace ?? "") ?? [];
    const spiffeId = derivePodSpiffeIdResource(pod, inNamespace, rules.value, warnings);
    if (spiffeId !== undefined) desired.push(spiffeId);
  }
  return { desired, warnings };
}
