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
import { mapBounded } from "../spire/bounded.js";
import type { SpireError } from "../spire/errors.js";
import { applyEntryPlan } from "./apply.js";
import { emptyScmSummary, phase, type ScmResult, type ScmSyncContext } from "./context.js";
import { runFullPass } from "./full-pass.js";

/** SPIRE lists in flight for one scoped pass. */
const LIST_CONCURRENCY = 4;
/**
 * Beyond this many pods (a node, a namespace or a new ClusterSPIFFEID with many pods), one paged list of
 * every entry costs SPIRE less than a filtered list per pod; the entries of other pods are then dropped.
 */
export const PER_POD_LIST_LIMIT = 100;

/** A Pod event's object; `uid` when the event carried it (needed to find a deleted pod's entries). */
export interface PodRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid?: string;
}

export async function reconcilePodEvent(context: ScmSyncContext, ref: PodRef): Promise<ScmResult> {
  const pod = await context.cluster.getPod(ref.namespace, ref.name);
  const podUid = pod?.metadata?.uid;
  const pods = pod === undefined ? [] : [pod];
  if (ref.uid === undefined || ref.uid === podUid) return reconcilePods(context, pods, []);
  // The event's pod is gone (or replaced under its name). Its entries are found by its UID; they are
  // deleted only when no pod has that UID, so an event naming another pod's UID changes nothing.
  const uidEntries = await listPodEntries(context, ref.uid);
  if (!uidEntries.ok) return failed(uidEntries.error);
  if (uidEntries.value.length === 0) return reconcilePods(context, pods, []);
  const alive = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPodUids());
  if (alive.has(ref.uid)) {
    context.logger.info(
      { [LogField.namespace]: ref.namespace, [LogField.pod]: ref.name, [LogField.podUid]: ref.uid },
      "the event's pod UID belongs to a pod elsewhere: its entries are left to that pod's events",
    );
    return reconcilePods(context, pods, []);
  }
  return reconcilePods(context, pods, [ref.uid]);
}

export async function reconcileNodeEvent(context: ScmSyncContext, nodeName: string): Promise<ScmResult> {
  const pods = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPods({ nodeName }));
  return reconcilePods(context, pods, []);
}

export async function reconcileNamespaceEvent(
  context: ScmSyncContext,
  namespace: string,
): Promise<ScmResult> {
  const pods = await phase(context, "pod", "kubernetes_read", () => context.cluster.listPods({ namespace }));
  return reconcilePods(context, pods, []);
}

/** Services only matter to ClusterSPIFFEIDs with `autoPopulateDNSNames`; without one the event changes nothing. */
export async function reconcileEndpointSliceEvent(
  context: ScmSyncContext,
  namespace: string,
): Promise<ScmResult> {
  const resources = await context.cluster.listCustomResources("clusterspiffeids");
  if (
    !resources.some((resource) => inClass(classNameOf(resource), context.config) && autoPopulates(resource))
  )
    return { ok: true, summary: emptyScmSummary() };
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
  return reconcilePods(context, pods, []);
}

/**
 * Makes SPIRE hold exactly the entries the custom resources declare for `pods` and for the gone pods of
 * `goneUids` (none but static entries naming them).
 */
export async function reconcilePods(
  context: ScmSyncContext,
  pods: readonly PodJson[],
  goneUids: readonly string[],
): Promise<ScmResult> {
  const summary = emptyScmSummary();
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
  const uids = [...pods.map((pod) => pod.metadata?.uid ?? ""), ...goneUids];
  const current = await phase(context, "pod", "spire_list", () => listEntriesOf(context, uids));
  if (!current.ok) return failed(current.error, summary);
  const plan = planEntries(declared, current.value, {
    entryIdPrefix: config.entryIdPrefix,
    entryIdPrefixCleanup: config.entryIdPrefixCleanup,
    unsupportedFields: context.unsupportedFields,
    newUuid: context.newUuid,
  });
  const applied = await phase(context, "pod", "spire_write", () => applyEntryPlan(context, plan, summary));
  return applied.failure === undefined ? { ok: true, summary } : failed(applied.failure, summary);
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
  const wantsServices = clusterSpiffeIds.some(
    (resource) => inClass(classNameOf(resource), config) && autoPopulates(resource),
  );
  const services = new Map<string, ServiceRef[]>();
  if (wantsServices)
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
  if (uids.length > PER_POD_LIST_LIMIT) {
    const all = await context.spire.listEntries();
    if (!all.ok) return all;
    const wanted = new Set(uids.map((uid) => `pod-uid:${uid}`));
    return {
      ok: true,
      value: all.value.filter((entry) =>
        entry.selectors.some((selector) => selector.type === "k8s" && wanted.has(selector.value)),
      ),
    };
  }
  let failure: SpireError | undefined;
  const perPod = await mapBounded(
    uids,
    LIST_CONCURRENCY,
    async (uid) => {
      const listed = await listPodEntries(context, uid);
      if (!listed.ok) failure ??= listed.error;
      return listed.ok ? listed.value : [];
    },
    () => failure !== undefined,
  );
  if (failure !== undefined) return { ok: false, error: failure };
  return { ok: true, value: dedupeById(perPod.flatMap((entries) => entries ?? [])) };
}

function listPodEntries(context: ScmSyncContext, podUid: string) {
  return context.spire.listEntries({
    selectors: { selectors: [{ type: "k8s", value: `pod-uid:${podUid}` }], match: "superset" },
  });
}

function autoPopulates(resource: CustomResourceJson): boolean {
  const spec = resource.spec as { autoPopulateDNSNames?: unknown } | null | undefined;
  return spec?.autoPopulateDNSNames === true;
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
