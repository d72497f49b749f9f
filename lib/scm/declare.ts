/**
 * One SCM pass, planned without I/O (scm-model §1-§3, §5): the entries the custom resources declare, in
 * SCM's order — ClusterStaticEntries, then ClusterSPIFFEIDs (non-fallback before fallback, each selecting
 * namespaces, skipping ignored ones, then pods), the winner of every entry key by SCM's preference (static
 * and pod entries share one key space), and the statuses SCM writes. `declarePodEntries` does the same for
 * one pod, so an event for a pod needs neither every pod nor every entry.
 */
import {
  type ClusterSpiffeIdSpec,
  type PodRenderContext,
  parseClusterSpiffeIdSpec,
  renderPodEntry,
  type ServiceRef,
  type SpecError,
} from "./cluster-spiffeid.js";
import { type ClusterStaticEntryStatus, renderStaticEntry } from "./cluster-static-entry.js";
import type { ScmConfig } from "./config.js";
import { type RenderedEntry, scmEntryKey } from "./entry.js";
import {
  type ClassFilter,
  type CustomResourceJson,
  classNameOf,
  comparePreference,
  inClass,
  type KubeObjectJson,
  type ObjectMetaJson,
  type PodJson,
} from "./objects.js";
import { type ClusterSpiffeIdStats, ZERO_STATS } from "./status.js";

/** The custom resource that declared an entry. */
export interface Declarer {
  readonly kind: "ClusterSPIFFEID" | "ClusterStaticEntry";
  readonly name: string;
  readonly uid: string;
  readonly metadata: ObjectMetaJson | undefined;
}

export interface DeclaredEntry {
  readonly entry: RenderedEntry;
  readonly by: Declarer;
}

/** One entry key: the declarer SCM prefers, and those it masks. */
export interface DeclaredKey {
  readonly key: string;
  readonly winner: DeclaredEntry;
  readonly masked: readonly DeclaredEntry[];
}

/** The config a pass reads (ScmConfig's fields). */
export type DeclareConfig = Pick<
  ScmConfig,
  | "trustDomain"
  | "clusterName"
  | "clusterDomain"
  | "ignoreNamespaceRegexps"
  | "className"
  | "watchClassless"
  | "parentIdTemplate"
  | "reconcile"
>;

/** The cluster as one pass sees it. */
export interface ClusterState {
  readonly clusterSpiffeIds: readonly CustomResourceJson[];
  readonly clusterStaticEntries: readonly CustomResourceJson[];
  readonly namespaces: readonly KubeObjectJson[];
  readonly pods: readonly PodJson[];
  readonly nodes: readonly KubeObjectJson[];
  /** Services whose endpoints (ready or not) target each pod, by pod UID (for `autoPopulateDNSNames`). */
  readonly servicesByPodUid: ReadonlyMap<string, readonly ServiceRef[]>;
}

/** A pod a ClusterSPIFFEID selected but could not render an entry for (SCM logs and counts these). */
export interface RenderFailure {
  readonly clusterSpiffeId: Declarer;
  readonly pod: { readonly namespace: string; readonly name: string; readonly uid: string };
  readonly error: string;
}

export interface Declaration {
  /** Every declared key, in no particular order. */
  readonly entries: readonly DeclaredKey[];
  /** Each ClusterSPIFFEID in the class, with its stats (`entryFailures` still 0) or why its spec is unusable. */
  readonly clusterSpiffeIds: readonly {
    readonly resource: Declarer;
    readonly stats: ClusterSpiffeIdStats;
    readonly specError?: SpecError;
  }[];
  /** Each ClusterStaticEntry in the class, with its status (`set` still false) or why it did not render. */
  readonly clusterStaticEntries: readonly {
    readonly resource: Declarer;
    readonly status: ClusterStaticEntryStatus;
    readonly renderError?: SpecError;
  }[];
  readonly renderFailures: readonly RenderFailure[];
}

type MutableStats = { -readonly [K in keyof ClusterSpiffeIdStats]: ClusterSpiffeIdStats[K] };

/** Declares the entries of a whole pass. */
export function declareEntries(state: ClusterState, config: DeclareConfig): Declaration {
  const declared: DeclaredEntry[] = [];
  const statics = config.reconcile.clusterStaticEntries
    ? renderStaticEntries(state.clusterStaticEntries, config)
    : [];
  for (const item of statics)
    if (item.entry !== undefined) declared.push({ entry: item.entry, by: item.resource });
  const nodes = new Map(state.nodes.map((node) => [node.metadata?.name ?? "", node]));
  const podsByNamespace = groupBy(state.pods, (pod) => pod.metadata?.namespace ?? "");
  const marked = new Set<string>();
  const renderFailures: RenderFailure[] = [];
  const spiffeIds: { resource: Declarer; stats: MutableStats; specError?: SpecError }[] = [];
  const context = renderContext(config);
  for (const { resource, spec } of config.reconcile.clusterSPIFFEIDs
    ? parsedSpiffeIds(state.clusterSpiffeIds, config)
    : []) {
    const stats: MutableStats = { ...ZERO_STATS };
    spiffeIds.push({ resource, stats, ...(spec.ok ? {} : { specError: spec.error }) });
    if (!spec.ok) continue;
    const namespaces = state.namespaces.filter((namespace) =>
      spec.value.namespaceSelector.matches(namespace.metadata?.labels),
    );
    stats.namespacesSelected = namespaces.length;
    for (const namespace of namespaces) {
      const name = namespace.metadata?.name ?? "";
      if (isIgnored(name, config)) {
        stats.namespacesIgnored++;
        continue;
      }
      const pods = (podsByNamespace.get(name) ?? []).filter((pod) =>
        spec.value.podSelector.matches(pod.metadata?.labels),
      );
      stats.podsSelected += pods.length;
      for (const pod of pods) {
        const uid = pod.metadata?.uid ?? "";
        if (spec.value.fallback && marked.has(uid)) continue;
        const node = nodes.get(pod.spec?.nodeName ?? "");
        const entry = renderPodEntry(spec.value, pod, node, state.servicesByPodUid.get(uid) ?? [], context);
        if (!entry.ok) {
          stats.podEntryRenderFailures++;
          renderFailures.push({ clusterSpiffeId: resource, pod: podRef(pod), error: entry.error });
          continue;
        }
        declared.push({ entry: entry.value, by: resource });
        if (!spec.value.fallback) marked.add(uid);
      }
    }
  }
  const entries = electWinners(declared);
  const statsOf = new Map(spiffeIds.map((item) => [item.resource, item.stats]));
  const maskedStatics = new Set<Declarer>();
  for (const { winner, masked } of entries) {
    const winnerStats = statsOf.get(winner.by);
    if (winnerStats !== undefined) winnerStats.entriesToSet++;
    for (const loser of masked) {
      const loserStats = statsOf.get(loser.by);
      if (loserStats !== undefined) loserStats.entriesMasked++;
      else maskedStatics.add(loser.by);
    }
  }
  return {
    entries,
    clusterSpiffeIds: spiffeIds,
    clusterStaticEntries: statics.map(({ resource, renderError }) => ({
      resource,
      status: { rendered: renderError === undefined, masked: maskedStatics.has(resource), set: false },
      ...(renderError === undefined ? {} : { renderError }),
    })),
    renderFailures,
  };
}

/** What one pod needs for a scoped pass. */
export interface PodState {
  readonly clusterSpiffeIds: readonly CustomResourceJson[];
  /** Static entries can declare a pod's key too (with its `k8s:pod-uid` selector); pass them for masking. */
  readonly clusterStaticEntries: readonly CustomResourceJson[];
  /** The pod's Namespace object (undefined when gone: SCM then sees none of its pods). */
  readonly namespace: KubeObjectJson | undefined;
  /**
   * Undefined when the pod is gone: only static entries naming its UID are declared, and the plan deletes
   * its other entries.
   */
  readonly pod: PodJson | undefined;
  /** The pod's UID when `pod` is undefined. */
  readonly podUid?: string;
  readonly node: KubeObjectJson | undefined;
  readonly services: readonly ServiceRef[];
}

/**
 * Declares the entries of one pod exactly as the whole pass would (same fallback rule, same winners among
 * declarers of its keys). Stats are not computed: they need every pod.
 */
export function declarePodEntries(
  state: PodState,
  config: DeclareConfig,
): Pick<Declaration, "entries" | "renderFailures"> {
  const { pod, namespace } = state;
  const uidSelector = `pod-uid:${pod?.metadata?.uid ?? state.podUid ?? ""}`;
  const declared: DeclaredEntry[] = [];
  if (config.reconcile.clusterStaticEntries) {
    for (const item of renderStaticEntries(state.clusterStaticEntries, config)) {
      const targetsPod = item.entry?.spec.selectors.some(
        (selector) => selector.type === "k8s" && selector.value === uidSelector,
      );
      if (item.entry !== undefined && targetsPod === true)
        declared.push({ entry: item.entry, by: item.resource });
    }
  }
  if (pod === undefined || namespace === undefined)
    return { entries: electWinners(declared), renderFailures: [] };
  const renderFailures: RenderFailure[] = [];
  const namespaceName = namespace.metadata?.name ?? "";
  const selectable =
    config.reconcile.clusterSPIFFEIDs &&
    namespaceName === (pod.metadata?.namespace ?? "") &&
    !isIgnored(namespaceName, config);
  let marked = false;
  for (const { resource, spec } of selectable ? parsedSpiffeIds(state.clusterSpiffeIds, config) : []) {
    if (!spec.ok || (spec.value.fallback && marked)) continue;
    if (
      !spec.value.namespaceSelector.matches(namespace.metadata?.labels) ||
      !spec.value.podSelector.matches(pod.metadata?.labels)
    )
      continue;
    const entry = renderPodEntry(spec.value, pod, state.node, state.services, renderContext(config));
    if (!entry.ok) {
      renderFailures.push({ clusterSpiffeId: resource, pod: podRef(pod), error: entry.error });
      continue;
    }
    declared.push({ entry: entry.value, by: resource });
    if (!spec.value.fallback) marked = true;
  }
  return { entries: electWinners(declared), renderFailures };
}

/** Whether a current SPIRE entry belongs to the scope of one pod (it carries the pod's `k8s:pod-uid` selector). */
export function inPodScope(
  podUid: string,
): (entry: { readonly selectors: readonly { type: string; value: string }[] }) => boolean {
  const value = `pod-uid:${podUid}`;
  return (entry) => entry.selectors.some((selector) => selector.type === "k8s" && selector.value === value);
}

function renderContext(config: DeclareConfig): PodRenderContext {
  return {
    trustDomain: config.trustDomain,
    clusterName: config.clusterName,
    clusterDomain: config.clusterDomain,
    parentIdTemplate: config.parentIdTemplate,
  };
}

function declarer(kind: Declarer["kind"], resource: CustomResourceJson): Declarer {
  return {
    kind,
    name: resource.metadata?.name ?? "",
    uid: resource.metadata?.uid ?? "",
    metadata: resource.metadata,
  };
}

/**
 * Parsed specs by spec object: a scoped pass declares many pods against the same listed CRs, and parsing
 * (templates, selectors) is the costly part. Specs are never mutated once read.
 */
const parsedSpecs = new WeakMap<object, ReturnType<typeof parseClusterSpiffeIdSpec>>();

function parseSpecOnce(spec: unknown): ReturnType<typeof parseClusterSpiffeIdSpec> {
  if (spec === null || typeof spec !== "object") return parseClusterSpiffeIdSpec(spec);
  let parsed = parsedSpecs.get(spec);
  if (parsed === undefined) {
    parsed = parseClusterSpiffeIdSpec(spec);
    parsedSpecs.set(spec, parsed);
  }
  return parsed;
}

/** The CRs of the class, in list order with every fallback CR after every other (a stable reorder). */
function parsedSpiffeIds(resources: readonly CustomResourceJson[], filter: ClassFilter) {
  const parsed = resources
    .filter((resource) => inClass(classNameOf(resource), filter))
    .map((resource) => ({
      resource: declarer("ClusterSPIFFEID", resource),
      spec: parseSpecOnce(resource.spec),
    }));
  const isFallback = (item: { spec: { ok: boolean; value?: ClusterSpiffeIdSpec } }): boolean =>
    item.spec.ok && item.spec.value?.fallback === true;
  return [...parsed.filter((item) => !isFallback(item)), ...parsed.filter(isFallback)];
}

function renderStaticEntries(resources: readonly CustomResourceJson[], filter: ClassFilter) {
  return resources
    .filter((resource) => inClass(classNameOf(resource), filter))
    .map((resource) => {
      const rendered = renderStaticEntry(resource.spec);
      return {
        resource: declarer("ClusterStaticEntry", resource),
        entry: rendered.ok ? rendered.value : undefined,
        ...(rendered.ok ? {} : { renderError: rendered.error }),
      };
    });
}

/** Groups declared entries by key and orders each group by SCM's preference: the first one wins. */
function electWinners(declared: readonly DeclaredEntry[]): DeclaredKey[] {
  const byKey = groupBy(declared, (item) => scmEntryKey(item.entry.spec));
  return [...byKey].map(([key, items]) => {
    const [winner, ...masked] = [...items].sort((a, b) => comparePreference(a.by.metadata, b.by.metadata));
    if (winner === undefined) throw new Error("an entry key without declarers");
    return { key, winner, masked };
  });
}

function isIgnored(namespace: string, config: Pick<DeclareConfig, "ignoreNamespaceRegexps">): boolean {
  return config.ignoreNamespaceRegexps.some((regexp) => regexp.test(namespace));
}

function podRef(pod: PodJson): RenderFailure["pod"] {
  return {
    namespace: pod.metadata?.namespace ?? "",
    name: pod.metadata?.name ?? "",
    uid: pod.metadata?.uid ?? "",
  };
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [item]);
    else group.push(item);
  }
  return groups;
}
