/**
 * Reconcile-mode derivation (reference §3): one entry per node, parented to the SPIRE server, and one entry
 * per scheduled, live pod in an enabled namespace, parented to its node's entry. Invalid inputs drop the
 * entry (or the single DNS name / trust domain) with a warning; they never fail the whole derivation.
 */

import type { Result } from "../spiffe/result.js";
import { acceptedDnsNames, federatesWith, requireConfigId } from "./derive-shared.js";
import { type EndpointsIndex, indexEndpointsByPod } from "./endpoints-index.js";
import type { EntrySpec } from "./entry.js";
import type { ClusterSnapshot, Node, Pod } from "./k8s-objects.js";
import type { PlannerConfig } from "./planner-config.js";
import { derivePodDnsNames } from "./pod-dns-names.js";
import { namespaceFilter } from "./pod-filter.js";
import { parsePodIdentityRule } from "./pod-identity.js";
import { type PodRules, registrablePod } from "./registrable-pod.js";
import { reconcileNodeId, reconcileRootId, serverId } from "./registrar-ids.js";
import { nodeSelectors, podSelectors } from "./selectors.js";
import type { Derivation, ObjectRef, Warning } from "./warning.js";

/**
 * The desired entries for a snapshot (or any subset of one, for scoped handlers). `config` must have passed
 * `validatePlannerConfig`; an invalid trust domain, cluster or controller name throws (a bug).
 */
export function deriveReconcileEntries(
  snapshot: ClusterSnapshot,
  config: PlannerConfig,
): Derivation<EntrySpec> {
  const desired: EntrySpec[] = [];
  const warnings: Warning[] = [];
  const parent = requireConfigId(serverId(config.trustDomain), "trust_domain");
  requireConfigId(reconcileRootId(config), "controller_name or cluster");
  for (const node of snapshot.nodes) {
    const entry = deriveNodeEntry(node, parent, config, warnings);
    if (entry !== undefined) desired.push(entry);
  }
  const rule = parsePodIdentityRule(config);
  if (!rule.ok) {
    if (snapshot.pods.length > 0) {
      warnings.push({
        code: "invalid-template",
        object: { kind: "Config", name: "identity_template" },
        message: rule.error,
      });
    }
    return { desired, warnings };
  }
  // Parent IDs by node name: many pods share a node, and building an ID validates every segment.
  const parents = new Map<string, Result<string>>();
  const context: PodContext = {
    config,
    pod: {
      identity: rule.value,
      isEnabled: namespaceFilter(config.disabledNamespaces),
      trustDomain: config.trustDomain,
      parentOf: (nodeName) => {
        const known = parents.get(nodeName);
        if (known) return known;
        const parent = reconcileNodeId(config, nodeName);
        parents.set(nodeName, parent);
        return parent;
      },
    },
    endpoints: indexEndpointsByPod(config.addPodDnsNames ? snapshot.endpoints : []),
  };
  for (const pod of snapshot.pods) {
    const entry = derivePodEntry(pod, context, warnings);
    if (entry !== undefined) desired.push(entry);
  }
  return { desired, warnings };
}

function deriveNodeEntry(
  node: Node,
  parentId: string,
  config: PlannerConfig,
  warnings: Warning[],
): EntrySpec | undefined {
  const name = node.metadata?.name ?? "";
  const object: ObjectRef = { kind: "Node", name };
  const spiffeId = reconcileNodeId(config, name);
  if (!spiffeId.ok) {
    warnings.push({
      code: "invalid-spiffe-id",
      object,
      message: `node name is not a valid ID segment: ${spiffeId.error}`,
    });
    return undefined;
  }
  return {
    spiffeId: spiffeId.value,
    parentId,
    selectors: nodeSelectors(name, config.cluster),
    dnsNames: [],
    // The Go registrar (v1.5.6) reads the annotation on Node objects too; kept for identical output.
    federatesWith: federatesWith(node.metadata?.annotations, object, warnings),
    admin: false,
    downstream: false,
  };
}

interface PodContext {
  readonly config: PlannerConfig;
  readonly pod: PodRules;
  readonly endpoints: EndpointsIndex;
}

function derivePodEntry(pod: Pod, context: PodContext, warnings: Warning[]): EntrySpec | undefined {
  const { config } = context;
  const registrable = registrablePod(pod, context.pod, warnings);
  if (registrable === undefined) return undefined;
  const { namespace, name, object, spiffeId, parentId } = registrable;
  const dnsNames = config.addPodDnsNames
    ? derivePodDnsNames(pod, context.endpoints, config.clusterDnsZone)
    : [];
  return {
    spiffeId,
    parentId,
    selectors: podSelectors(namespace, name),
    dnsNames: acceptedDnsNames(dnsNames, object, warnings),
    federatesWith: federatesWith(pod.metadata?.annotations, object, warnings),
    admin: false,
    downstream: false,
  };
}
