/**
 * Scoped planning for event handlers: a pod, node or Service endpoints event re-reads its objects, derives
 * their entries, and reconciles only the entries in that scope, so entries outside it are never deleted for
 * being absent from a partial snapshot. Scopes match the whole selector set, like the Go registrar's
 * `BySelectors MATCH_EXACT` listing.
 */

import { diff, type Plan } from "./diff.js";
import type { Entry, EntrySpec, Selector } from "./entry.js";
import { selectorSetKey } from "./entry-key.js";
import type { IsOwned } from "./ownership.js";
import { nodeSelectors, podSelectors } from "./selectors.js";
import type { ServiceEndpoints } from "./service-endpoints.js";

/** A pod by namespace and name: what pod entries are keyed on (their selectors). */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

/** True for the entries a handler is responsible for. */
export type Scope = (spec: EntrySpec) => boolean;

/** Entries whose selectors are exactly `k8s:ns:<ns>`, `k8s:pod-name:<name>` for one of `pods`. */
export function podScope(pods: readonly PodRef[]): Scope {
  const keys = new Set(pods.map((pod) => selectorsId(podSelectors(pod.namespace, pod.name))));
  return (spec) => keys.has(selectorsId(spec.selectors));
}

/** The reconcile-mode entry of one node: selectors exactly `agent_node_name:<node>` and `cluster:<cluster>`. */
export function nodeScope(nodeName: string, cluster: string): Scope {
  const key = selectorsId(nodeSelectors(nodeName, cluster));
  return (spec) => selectorsId(spec.selectors) === key;
}

/** The items inside `scope`, in their original order. */
export function restrictToScope<T extends EntrySpec>(items: readonly T[], scope: Scope): T[] {
  return items.filter(scope);
}

/** `diff` of only the desired and current entries inside `scope`. */
export function diffInScope(
  desired: readonly EntrySpec[],
  current: readonly Entry[],
  isOwned: IsOwned,
  scope: Scope,
): Plan {
  return diff(restrictToScope(desired, scope), restrictToScope(current, scope), isOwned);
}

/** The pod a selector set names, when it is exactly a pod entry's `k8s:ns` + `k8s:pod-name` pair. */
export function podRefFromSelectors(selectors: readonly Selector[]): PodRef | undefined {
  const values = selectorSetKey(selectors);
  const [first, second] = values;
  if (values.length !== 2 || first === undefined || second === undefined) return undefined;
  if (!first.startsWith("k8s:ns:") || !second.startsWith("k8s:pod-name:")) return undefined;
  return { namespace: first.slice("k8s:ns:".length), name: second.slice("k8s:pod-name:".length) };
}

/**
 * The pods an event about a Service's endpoints concerns: those its endpoints (ready or not) target now,
 * plus those whose current entries still carry the Service's `<svc>.<ns>.svc` name, so pods that left the
 * Service (or all of them, when it has no endpoints any more) lose its names. Sorted and de-duplicated.
 */
export function podRefsForEndpoints(endpoints: ServiceEndpoints, current: readonly EntrySpec[]): PodRef[] {
  const { namespace, service } = endpoints;
  const targeted = endpoints.targets.flatMap(({ targetRef }) =>
    targetRef.kind === "Pod" && targetRef.name !== undefined ? [{ namespace, name: targetRef.name }] : [],
  );
  return sortedRefs([...targeted, ...podRefsCarrying(current, namespace, service)]);
}

/**
 * The pods whose current entries carry a Service name of `namespace`, whichever the Service: what an event
 * concerns whose Service cannot be named any more (a deleted EndpointSlice). Sorted and de-duplicated.
 */
export function podRefsWithServiceNames(namespace: string, current: readonly EntrySpec[]): PodRef[] {
  return sortedRefs(podRefsCarrying(current, namespace, undefined));
}

/**
 * Whether `dnsName` is the `<svc>.<ns>.svc` name of `service` in `namespace`, or, without a `service`, a name
 * under `<ns>.svc` (any Service's, with any prefix such as a hostname).
 */
export function isServiceDnsName(dnsName: string, namespace: string, service: string | undefined): boolean {
  return service === undefined
    ? dnsName.endsWith(`.${namespace}.svc`)
    : dnsName === `${service}.${namespace}.svc`;
}

function podRefsCarrying(
  current: readonly EntrySpec[],
  namespace: string,
  service: string | undefined,
): PodRef[] {
  return current.flatMap((entry) => {
    const ref = podRefFromSelectors(entry.selectors);
    const carries = entry.dnsNames.some((name) => isServiceDnsName(name, namespace, service));
    return ref !== undefined && carries ? [ref] : [];
  });
}

function sortedRefs(refs: readonly PodRef[]): PodRef[] {
  const byKey = new Map(refs.map((ref) => [`${ref.namespace}/${ref.name}`, ref]));
  return [...byKey.keys()].sort().map((key) => byKey.get(key) as PodRef);
}

function selectorsId(selectors: readonly Selector[]): string {
  return selectorSetKey(selectors).join("\n");
}
