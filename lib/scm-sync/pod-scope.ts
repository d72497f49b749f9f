/**
 * The scoped pass of cluster-spiffeid mode: the entries of some pods, decided exactly as the full pass would
 * decide them (lib/scm `declarePodEntries`), against only those pods' entries in SPIRE (a ListEntries filtered
 * by each pod's `k8s:pod-uid` selector, which every entry SCM declares for a pod carries). An event never
 * lists every SPIRE entry.
 *
 * The handlers here turn each event into its pods: a Pod event its pod (and, when it is gone, the entries of
 * its UID once no pod has that UID); a Node event the pods on the node; a Namespace event the pods in it; an
 * EndpointSlice event the pods of its namespace, when a ClusterSPIFFEID fills DNS names from Services; a new
 * ClusterSPIFFEID the pods it selects. A changed or deleted ClusterSPIFFEID, and any ClusterStaticEntry event,
 * may leave entries that only a full list finds: those run the full pass.
 */
import { LogField } from "../log/log-fields.js";
import type { Entry } from "../planner/entry.js";
import {
  type CustomResourceJson,
  classNameOf,
  type DeclaredKey,
  declarePodEntries,
  inClass,
  type KubeObjectJson,
  type PodJson,
  parseClusterSpiffeIdSpec,
  planEntries,
  type ServiceRef,
} from "../scm/index.js";
import { chunk, mapBounded } from "../spire/bounded.js";
import type { SpireError } from "../spire/errors.js";
import { applyEntryPlan } from "./apply.js";
import { emptyScmSummary, phase, type ScmResult, type ScmSyncContext } from "./context.js";
import { runFullPass } from "./full-pass.js";
import { needsServices } from "./full-pass-state.js";
import { podDigest } from "./pod-digest.js";

/** SPIRE lists in flight for one scoped pass. */
const LIST_CONCURRENCY = 4;
/** Pod UID selectors per filtered ListEntries (entries with any of them). */
const UIDS_PER_LIST = 100;
/**
 * Beyond this many pods (a node, a namespace or a new ClusterSPIFFEID with many pods), one paged list of
 * every entry costs SPIRE less than filtered lists; the entries of other pods are then dropped.
 */
export const FILTERED_LIST_LIMIT = 1000;

/** A Pod event's object; `uid` when the event carried it (needed to find a deleted pod's entries). */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export function reconcilePodEvent(context: ScmSyncContext, ref: PodRef): Promise<ScmResult> {
  return reconcilePodEvents(context, [ref]);
}

/**
 * The pods of several Pod events in one pass (concurrent events share their reads and writes). An event
 * whose pod is gone (or replaced under its name) names it by UID: its entries are found by that UID and
 * deleted only when no pod has it, so an event naming another pod's UID changes nothing.
 */
export async function reconcilePodEvents(
  context: ScmSyncContext,
  refs: readonly PodRef[],
): Promise<ScmResult> {
  const found = await phase(context, "pod", "kubernetes_read", () =>
    Promise.all(refs.map((ref) => context.cluster.getPod(ref.namespace, ref.name))),
  );
  const pods = new Map<string, PodJson>();
  const claimedGone = new Set<string>();
  refs.forEach((ref, index) => {
    const pod = found[index];
    const uid = pod?.metadata?.uid ?? "";
    if (pod !== undefined) pods.set(uid, pod);
    if (ref.uid !== undefined && ref.uid !== uid) claimedGone.add(ref.uid);
  });
  for (const uid of pods.keys()) claimedGone.delete(uid);
  let gone: GonePods = NO_GONE_PODS;
  if (claimedGone.size > 0) {
    const withEntries = await listEntriesOf(context, [...claimedGone]);
    if (!withEntries.ok) return failed(withEntries.error);
    const candidates = [...claimedGone].filter((uid) =>
      withEntries.value.some((entry) =>
        entry.selectors.some((s) => s.type === "k8s" && s.value === `pod-uid:${uid}`),
      ),
    );
    if (candidates.length > 0) {
      const alive = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPodUids());
      const uids = candidates.filter((uid) => !alive.has(uid));
      const selectors = new Set(uids.map((uid) => `pod-uid:${uid}`));
      gone = {
        uids,
        entries: withEntries.value.filter((entry) =>
          entry.selectors.some((s) => s.type === "k8s" && selectors.has(s.value)),
        ),
      };
      for (const uid of candidates.filter((candidate) => alive.has(candidate)))
        context.logger.info(
          { [LogField.podUid]: uid },
          "a Pod event names the UID of a pod that exists elsewhere: its entries are left to that pod's events",
        );
    }
  }
  return reconcilePods(context, [...pods.values()], gone);
}

export async function reconcileNodeEvent(context: ScmSyncContext, nodeName: string): Promise<ScmResult> {
  const pods = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPods({ nodeName }));
  return reconcilePods(context, pods);
}

export async function reconcileNamespaceEvent(
  context: ScmSyncContext,
  namespace: string,
): Promise<ScmResult> {
  const pods = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPods({ namespace }));
  return reconcilePods(context, pods);
}

/** Services only matter to ClusterSPIFFEIDs with `autoPopulateDNSNames`; without one the event changes nothing. */
export async function reconcileEndpointSliceEvent(
  context: ScmSyncContext,
  namespace: string,
): Promise<ScmResult> {
  const resources = await context.cluster.listCustomResources("clusterspiffeids");
  if (!needsServices(resources, context.config)) return { ok: true, summary: emptyScmSummary() };
  return reconcileNamespaceEvent(context, namespace);
}

/**
 * A ClusterSPIFFEID that appeared: the pods it selects. Any other change may have unselected pods (or masked
 * entries differently) in ways only the full pass sees.
 */
export async function reconcileClusterSpiffeIdEvent(
  context: ScmSyncContext,
  name: string,
  action: "add" | "update" | "delete",
): Promise<ScmResult> {
  const resource =
    action === "add" ? await context.cluster.getCustomResource("clusterspiffeids", name) : undefined;
  const spec = resource === undefined ? undefined : parseClusterSpiffeIdSpec(resource.spec);
  if (resource === undefined || spec === undefined || !spec.ok)
    return runFullPass(context, { entries: true, federation: false });
  if (!inClass(classNameOf(resource), context.config)) return { ok: true, summary: emptyScmSummary() };
  const pods = await phase(context, "pod", "kubernetes_read", async () => {
    const namespaces = (await context.cluster.listNamespaces()).filter((namespace) =>
      spec.value.namespaceSelector.matches(namespace.metadata?.labels),
    );
    const perNamespace = await Promise.all(
      namespaces.map((namespace) => context.cluster.listPods({ namespace: namespace.metadata?.name ?? "" })),
    );
    return perNamespace.flat().filter((pod) => spec.value.podSelector.matches(pod.metadata?.labels));
  });
  return reconcilePods(context, pods);
}

/** Pods proven gone, by UID, and their entries as SPIRE listed them while proving it. */
interface GonePods {
  readonly uids: readonly string[];
  readonly entries: readonly Entry[];
}

const NO_GONE_PODS: GonePods = { uids: [], entries: [] };

/**
 * Makes SPIRE hold exactly the entries the custom resources declare for `pods` and for the `gone` pods (none
 * but static entries naming them). Only the entries of `pods` are listed: those of `gone` were listed already.
 */
export async function reconcilePods(
  context: ScmSyncContext,
  pods: readonly PodJson[],
  gone: GonePods = NO_GONE_PODS,
): Promise<ScmResult> {
  const summary = emptyScmSummary();
  const goneUids = gone.uids;
  if (pods.length === 0 && goneUids.length === 0) return { ok: true, summary };
  const { config } = context;
  const reads = await phase(context, "pod", "kubernetes_read", () => readPodContext(context, pods));
  const declared: DeclaredKey[] = [];
  await phase(context, "pod", "render", () => {
    const base = {
      clusterSpiffeIds: reads.clusterSpiffeIds,
      clusterStaticEntries: reads.clusterStaticEntries,
    };
    const settings = { ...config, clusterDomain: reads.clusterDomain };
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      const result = declarePodEntries(
        {
          ...base,
          pod,
          namespace: reads.namespaces.get(pod.metadata?.namespace ?? ""),
          node: reads.nodes.get(pod.spec?.nodeName ?? ""),
          services: reads.services.get(uid) ?? [],
        },
        settings,
      );
      declared.push(...result.entries);
      summary.renderFailures += result.renderFailures.length;
      for (const failure of result.renderFailures)
        context.logger.warn(
          {
            [LogField.namespace]: failure.pod.namespace,
            [LogField.pod]: failure.pod.name,
            cluster_spiffeid: failure.clusterSpiffeId.name,
          },
          `failed to render an entry for the pod: ${failure.error}`,
        );
    }
    for (const podUid of goneUids)
      declared.push(
        ...declarePodEntries(
          { ...base, pod: undefined, podUid, namespace: undefined, node: undefined, services: [] },
          settings,
        ).entries,
      );
  });
  const uids = pods.map((pod) => pod.metadata?.uid ?? "");
  const current = await phase(context, "pod", "spire_list", () => listEntriesOf(context, uids));
  if (!current.ok) return failed(current.error, summary);
  const plan = planEntries(declared, dedupeById([...current.value, ...gone.entries]), {
    entryIdPrefix: config.entryIdPrefix,
    entryIdPrefixCleanup: config.entryIdPrefixCleanup,
    unsupportedFields: context.unsupportedFields,
    newUuid: context.newUuid,
  });
  const applied = await phase(context, "pod", "spire_write", () => applyEntryPlan(context, plan, summary));
  rememberPods(context, pods, goneUids, applied.failure === undefined && summary.entriesFailed === 0, reads);
  return applied.failure === undefined ? { ok: true, summary } : failed(applied.failure, summary);
}

/**
 * Records the pods of a pass that left SPIRE as they declare (`podMemory`); forgets them otherwise. Not when a
 * template reads `resourceVersion` or `managedFields`, which the digest leaves out.
 */
function rememberPods(
  context: ScmSyncContext,
  pods: readonly PodJson[],
  goneUids: readonly string[],
  written: boolean,
  reads: PodContext,
): void {
  const memory = context.podMemory;
  if (memory === undefined) return;
  const templates = JSON.stringify([
    context.config.parentIdTemplate.source,
    reads.clusterSpiffeIds.map((r) => r.spec),
  ]);
  const remember = written && !/ResourceVersion|ManagedFields/.test(templates);
  for (const pod of pods) {
    const uid = pod.metadata?.uid ?? "";
    const digest = podDigest(pod);
    if (remember && digest !== undefined) memory.remember(uid, digest);
    else memory.forget(uid);
  }
  for (const uid of goneUids) memory.forget(uid);
}

interface PodContext {
  readonly clusterSpiffeIds: CustomResourceJson[];
  readonly clusterStaticEntries: CustomResourceJson[];
  readonly namespaces: Map<string, KubeObjectJson>;
  readonly nodes: Map<string, KubeObjectJson>;
  readonly services: Map<string, ServiceRef[]>;
  readonly clusterDomain: string;
}

/** The custom resources, and the namespaces, nodes and (when needed) Services of `pods`. */
async function readPodContext(context: ScmSyncContext, pods: readonly PodJson[]): Promise<PodContext> {
  const { cluster, config } = context;
  const namespaceNames = distinct(pods.map((pod) => pod.metadata?.namespace ?? ""));
  const nodeNames = distinct(pods.map((pod) => pod.spec?.nodeName ?? "").filter((name) => name !== ""));
  const [clusterSpiffeIds, clusterStaticEntries, namespaces, nodes, clusterDomain] = await Promise.all([
    config.reconcile.clusterSPIFFEIDs ? cluster.listCustomResources("clusterspiffeids") : [],
    config.reconcile.clusterStaticEntries ? cluster.listCustomResources("clusterstaticentries") : [],
    getAll(namespaceNames, (name) => cluster.getNamespace(name)),
    getAll(nodeNames, (name) => cluster.getNode(name)),
    context.clusterDomain(),
  ]);
  const services = new Map<string, ServiceRef[]>();
  if (needsServices(clusterSpiffeIds, config))
    for (const perNamespace of await Promise.all(
      namespaceNames.map((name) => cluster.servicesByPodUid(name)),
    ))
      for (const [uid, refs] of perNamespace) services.set(uid, refs);
  return { clusterSpiffeIds, clusterStaticEntries, namespaces, nodes, services, clusterDomain };
}

/** The SPIRE entries carrying the `k8s:pod-uid` selector of any of `uids`, each once. */
async function listEntriesOf(
  context: ScmSyncContext,
  uids: readonly string[],
): Promise<{ ok: true; value: Entry[] } | { ok: false; error: SpireError }> {
  const wanted = new Set(uids.map((uid) => `pod-uid:${uid}`));
  const carriesWanted = (entry: Entry) =>
    entry.selectors.some((selector) => selector.type === "k8s" && wanted.has(selector.value));
  if (uids.length > FILTERED_LIST_LIMIT) {
    const all = await context.spire.listEntries();
    return all.ok ? { ok: true, value: all.value.filter(carriesWanted) } : all;
  }
  let failure: SpireError | undefined;
  const perChunk = await mapBounded(
    chunk([...wanted], UIDS_PER_LIST),
    LIST_CONCURRENCY,
    async (values) => {
      const listed = await context.spire.listEntries({
        selectors: { selectors: values.map((value) => ({ type: "k8s", value })), match: "any" },
      });
      if (!listed.ok) failure ??= listed.error;
      return listed.ok ? listed.value : [];
    },
    () => failure !== undefined,
  );
  if (failure !== undefined) return { ok: false, error: failure };
  return { ok: true, value: dedupeById(perChunk.flatMap((entries) => entries ?? [])) };
}

async function getAll(
  names: readonly string[],
  get: (name: string) => Promise<KubeObjectJson | undefined>,
): Promise<Map<string, KubeObjectJson>> {
  const found = await Promise.all(names.map(async (name) => [name, await get(name)] as const));
  return new Map(found.filter((item): item is readonly [string, KubeObjectJson] => item[1] !== undefined));
}

function distinct(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** An entry with several pods' UID selectors is listed once per pod; plan it once. */
function dedupeById(entries: readonly Entry[]): Entry[] {
  const byId = new Map(entries.map((entry) => [entry.id, entry]));
  return [...byId.values()];
}

function failed(error: SpireError, summary = emptyScmSummary()): ScmResult {
  return { ok: false, message: error.message, retryable: error.retryable, summary };
}
