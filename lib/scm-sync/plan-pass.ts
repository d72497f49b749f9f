/**
 * What a full pass decides, without I/O: whether each pass runs, the entries the custom resources declare,
 * the writes that make SPIRE hold exactly them, and the statuses SCM writes back once SPIRE has answered.
 * The resync's full pass (full-pass.ts) and `registrar plan` both decide through these functions, so a plan
 * shows what a resync would write.
 */
import {
  type ApplyOutcome,
  type ClusterSpiffeIdStats,
  type ClusterState,
  type ClusterStaticEntryStatus,
  type CurrentEntry,
  type CustomResourceJson,
  type Declaration,
  declareEntries,
  type EntryPlan,
  type EntryPlanOptions,
  type ProbedField,
  planEntries,
  type ScmConfig,
  staticStatusAfterApply,
  statsAfterApply,
  statusChanged,
} from "../scm/index.js";

/** Whether a full pass plans entries (and the ClusterSPIFFEID / ClusterStaticEntry statuses) at all. */
export function entriesPassEnabled(config: Pick<ScmConfig, "reconcile">): boolean {
  return config.reconcile.clusterSPIFFEIDs || config.reconcile.clusterStaticEntries;
}

/** Whether a full pass plans federation relationships. */
export function federationPassEnabled(config: Pick<ScmConfig, "reconcile">): boolean {
  return config.reconcile.clusterFederatedTrustDomains;
}

/** What a pass knows beyond the config and the objects. */
export interface EntriesPassOptions {
  /** The cluster domain of the pass: configured, or looked up ("" when unknown). */
  readonly clusterDomain: string;
  /** Fields SPIRE does not support (their differences make no update). */
  readonly unsupportedFields: ReadonlySet<ProbedField>;
  /** A fresh UUID v4 for a new entry's ID under `entryIDPrefix`. */
  readonly newUuid: () => string;
}

export interface EntriesPassDecision {
  readonly declaration: Declaration;
  readonly plan: EntryPlan;
}

/** Declares the entries of `state` and plans the writes against every `current` SPIRE entry. */
export function decideEntriesPass(
  state: ClusterState,
  current: readonly CurrentEntry[],
  config: ScmConfig,
  options: EntriesPassOptions,
): EntriesPassDecision {
  const declaration = declareEntries(state, { ...config, clusterDomain: options.clusterDomain });
  const plan = planEntries(declaration.entries, current, entryPlanOptions(config, options));
  return { declaration, plan };
}

/** The prefix settings of `config` with the pass's options, as planEntries takes them. */
export function entryPlanOptions(
  config: Pick<ScmConfig, "entryIdPrefix" | "entryIdPrefixCleanup">,
  options: Pick<EntriesPassOptions, "unsupportedFields" | "newUuid">,
): EntryPlanOptions {
  return {
    entryIdPrefix: config.entryIdPrefix,
    entryIdPrefixCleanup: config.entryIdPrefixCleanup,
    unsupportedFields: options.unsupportedFields,
    newUuid: options.newUuid,
  };
}

/** The status a pass computes for one custom resource. */
export type CustomResourceStatus =
  | {
      readonly resource: "clusterspiffeids";
      readonly name: string;
      readonly uid: string;
      readonly status: { readonly stats: ClusterSpiffeIdStats };
      /** Whether it differs from the stored status: SCM writes it only then. */
      readonly changed: boolean;
    }
  | {
      readonly resource: "clusterstaticentries";
      readonly name: string;
      readonly uid: string;
      readonly status: ClusterStaticEntryStatus;
      readonly changed: boolean;
    };

/**
 * The status of every ClusterSPIFFEID and ClusterStaticEntry the pass declared for, once SPIRE answered the
 * writes as `outcome` says, compared with the status `stored` holds (the resources as listed).
 */
export function statusesAfterApply(
  declaration: Declaration,
  stored: Pick<ClusterState, "clusterSpiffeIds" | "clusterStaticEntries">,
  outcome: ApplyOutcome,
): CustomResourceStatus[] {
  const storedStatus = (resources: readonly CustomResourceJson[]) => {
    const byUid = new Map(resources.map((resource) => [resource.metadata?.uid ?? "", resource.status]));
    return (uid: string) => byUid.get(uid) as Record<string, unknown> | undefined;
  };
  const spiffeIdStatus = storedStatus(stored.clusterSpiffeIds);
  const staticStatus = storedStatus(stored.clusterStaticEntries);
  const statuses: CustomResourceStatus[] = [];
  for (const item of declaration.clusterSpiffeIds) {
    const { name, uid } = item.resource;
    const stats = statsAfterApply(uid, item.stats, outcome);
    const changed = statusChanged(spiffeIdStatus(uid)?.stats, stats);
    statuses.push({ resource: "clusterspiffeids", name, uid, status: { stats }, changed });
  }
  for (const item of declaration.clusterStaticEntries) {
    const { name, uid } = item.resource;
    const status = staticStatusAfterApply(uid, item.status, outcome);
    const changed = statusChanged(staticStatus(uid), status);
    statuses.push({ resource: "clusterstaticentries", name, uid, status, changed });
  }
  return statuses;
}

/** The outcome of `plan` when SPIRE accepts every write (what a plan can only assume). */
export function acceptedOutcome(plan: EntryPlan): ApplyOutcome {
  return {
    entryFailures: new Map(),
    created: new Set(plan.create.map((item) => item.declarer.uid)),
  };
}
