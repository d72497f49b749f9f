/**
 * The entries reconcile mode must hold for a cluster, derived here from the README's rules and not
 * by the project's planner (whose output this checks): one entry per node, ID
 * `spiffe://<td>/<controller_name>/<cluster>/node/<node>`, parent `spiffe://<td>/spire/server`,
 * selectors `k8s_psat:agent_node_name:<node>` and `k8s_psat:cluster:<cluster>`; one entry per pod
 * that is scheduled, not finished (Succeeded/Failed) and not in a disabled namespace, ID
 * `spiffe://<td>/ns/<namespace>/sa/<service account>`, parented to its node's ID, selectors
 * `k8s:ns:<namespace>` and `k8s:pod-name:<name>`; no DNS names (`add_pod_dns_names` off), no
 * federation. A terminating pod keeps its entry until it is gone.
 */
import type { V1Pod } from "@kubernetes/client-node";
import type { Entry, Selector } from "../../../lib/planner/entry.js";
import { canonicalEntries } from "../compare/parity.js";
import { nodeKey, podKey } from "../compare/pod-key.js";

/** A pod as far as its entry (and the benchmark) is concerned. */
export interface PodFacts {
  readonly namespace: string;
  readonly name: string;
  readonly serviceAccount: string;
  readonly nodeName: string | undefined;
  readonly phase: string | undefined;
  readonly podIP: string | undefined;
  readonly terminating: boolean;
  /** The `app` label: the benchmark's Deployments label their pods with their name. */
  readonly app: string | undefined;
}

/** The facts of a pod as the API server serves it (a list item or a watch event's object). */
export function podFacts(pod: V1Pod): PodFacts {
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    serviceAccount: pod.spec?.serviceAccountName ?? "default",
    nodeName: pod.spec?.nodeName || undefined,
    phase: pod.status?.phase,
    podIP: pod.status?.podIP || undefined,
    terminating: pod.metadata?.deletionTimestamp !== undefined,
    app: pod.metadata?.labels?.app,
  };
}

/** What the registrar is configured with (reconcile mode, identity from the service account). */
export interface ReconcileIdentity {
  readonly trustDomain: string;
  readonly cluster: string;
  readonly controllerName: string;
  readonly disabledNamespaces: readonly string[];
}

export interface ExpectedEntries {
  /** Every entry in parity's canonical form (compare/parity.ts), sorted. */
  readonly lines: string[];
  /** The audit keys of those entries: `<namespace>/<pod>` and `node:<node>`. */
  readonly keys: string[];
}

const FINISHED: ReadonlySet<string> = new Set(["Succeeded", "Failed"]);

export function deriveExpected(
  pods: Iterable<PodFacts>,
  nodes: readonly string[],
  identity: ReconcileIdentity,
): ExpectedEntries {
  const td = `spiffe://${identity.trustDomain}`;
  const nodeId = (node: string) => `${td}/${identity.controllerName}/${identity.cluster}/node/${node}`;
  const disabled = new Set(identity.disabledNamespaces);
  const entries: Entry[] = [];
  const keys: string[] = [];
  for (const node of nodes) {
    entries.push(
      entry(nodeId(node), `${td}/spire/server`, [
        { type: "k8s_psat", value: `agent_node_name:${node}` },
        { type: "k8s_psat", value: `cluster:${identity.cluster}` },
      ]),
    );
    keys.push(nodeKey(node));
  }
  for (const pod of pods) {
    if (pod.nodeName === undefined || FINISHED.has(pod.phase ?? "") || disabled.has(pod.namespace)) continue;
    entries.push(
      entry(`${td}/ns/${pod.namespace}/sa/${pod.serviceAccount}`, nodeId(pod.nodeName), [
        { type: "k8s", value: `ns:${pod.namespace}` },
        { type: "k8s", value: `pod-name:${pod.name}` },
      ]),
    );
    keys.push(podKey(pod.namespace, pod.name));
  }
  return { lines: canonicalEntries(entries), keys };
}

function entry(spiffeId: string, parentId: string, selectors: Selector[]): Entry {
  return {
    id: "",
    spiffeId,
    parentId,
    selectors,
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}
