/**
 * What a cluster-spiffeid resync would write (pure): the entry and federation writes of the full pass, decided
 * by the same functions the resync calls (lib/scm-sync/plan-pass.ts), with what an operator needs to read
 * them: which SPIRE entries the mode owns under `entry_id_prefix`, why each entry goes, what each update
 * changes, the custom resources that render nothing, and the statuses the pass would write back, assuming
 * SPIRE accepts every write.
 */
import {
  type ClusterState,
  type CurrentEntry,
  type CurrentRelationship,
  type CustomResourceJson,
  type EntryPlan,
  entryOwnership,
  type FederationPlan,
  isJoinTokenEntry,
  type OutdatedField,
  type PlannedUpdate,
  planFederation,
  type RenderFailure,
  type ScmConfig,
  scmEntryKey,
} from "../scm/index.js";
import {
  acceptedOutcome,
  type CustomResourceStatus,
  decideEntriesPass,
  entriesPassEnabled,
  entryPlanOptions,
  federationPassEnabled,
  statusesAfterApply,
} from "../scm-sync/plan-pass.js";

/** Stands in for the random UUID of a new entry's ID under `entry_id_prefix`. */
export const NEW_UUID_PLACEHOLDER = "<uuid>";

export interface ScmPlanInput {
  readonly cluster: ClusterState;
  readonly clusterFederatedTrustDomains: readonly CustomResourceJson[];
  /** Every SPIRE entry. */
  readonly entries: readonly CurrentEntry[];
  /** SPIRE's federation relationships; undefined when they were not read (no federation plan then). */
  readonly relationships: readonly CurrentRelationship[] | undefined;
  /** The cluster domain the pass would use. */
  readonly clusterDomain: string;
}

/** Why an entry is deleted. */
export type DeleteReason =
  /** Managed, and no custom resource declares its SPIFFE ID, parent ID and selectors. */
  | "undeclared"
  /** Managed, and another SPIRE entry of the same declared key holds it (SCM keeps the first listed). */
  | "duplicate"
  /** Its ID starts with `entry_id_prefix_cleanup` (delete-only). */
  | "entry_id_prefix_cleanup";

export interface FieldChange {
  readonly field: OutdatedField;
  readonly current: unknown;
  readonly declared: unknown;
}

/** How the SPIRE entries divide under `entry_id_prefix` and `entry_id_prefix_cleanup`. */
export interface EntryOwnershipCount {
  /** `entry_id_prefix` with its `.` ("": every entry is managed). */
  readonly entryIdPrefix: string;
  /** `entry_id_prefix_cleanup` with its `.`, "" (IDs without a `.`), or undefined when not set. */
  readonly entryIdPrefixCleanup: string | undefined;
  readonly managed: number;
  /** Outside the prefix: never updated or deleted. */
  readonly ignored: number;
  /** Under the cleanup prefix: deleted. */
  readonly deleteOnly: number;
  /** Managed join-token entries, which are never deleted. */
  readonly joinTokens: number;
}

export interface ScmEntriesPlan {
  readonly plan: EntryPlan;
  /** Aligned with `plan.update`: each outdated field's current and declared value. */
  readonly changes: readonly (readonly FieldChange[])[];
  /** Aligned with `plan.delete`. */
  readonly deleteReasons: readonly DeleteReason[];
  readonly ownership: EntryOwnershipCount;
}

export interface ScmFederationPlan {
  readonly plan: FederationPlan;
  /** Aligned with `plan.update`: the relationship SPIRE has now. */
  readonly currentOfUpdates: readonly (CurrentRelationship | undefined)[];
  readonly unchanged: number;
}

/** A custom resource the pass leaves out. */
export interface InvalidResource {
  readonly kind: "ClusterSPIFFEID" | "ClusterStaticEntry" | "ClusterFederatedTrustDomain";
  readonly name: string;
  readonly error: string;
}

export interface ScmPlan {
  /** Undefined when the config reconciles neither ClusterSPIFFEIDs nor ClusterStaticEntries. */
  readonly entries: ScmEntriesPlan | undefined;
  /** Undefined when ClusterFederatedTrustDomains are not reconciled, or SPIRE's relationships were not read. */
  readonly federation: ScmFederationPlan | undefined;
  readonly renderFailures: readonly RenderFailure[];
  readonly invalid: readonly InvalidResource[];
  /** Every ClusterSPIFFEID's and ClusterStaticEntry's status as the pass would compute it. */
  readonly statuses: readonly CustomResourceStatus[];
  /** What the plan leaves out, and why. */
  readonly notes: readonly string[];
}

export function planClusterSpiffeId(input: ScmPlanInput, config: ScmConfig): ScmPlan {
  const invalid: InvalidResource[] = [];
  const notes: string[] = [];
  let entries: ScmEntriesPlan | undefined;
  let renderFailures: readonly RenderFailure[] = [];
  let statuses: CustomResourceStatus[] = [];
  if (entriesPassEnabled(config)) {
    const options = {
      clusterDomain: input.clusterDomain,
      unsupportedFields: new Set<never>(),
      newUuid: () => NEW_UUID_PLACEHOLDER,
    };
    const { declaration, plan } = decideEntriesPass(input.cluster, input.entries, config, options);
    const byId = new Map(input.entries.map((entry) => [entry.id, entry]));
    const declaredKeys = new Set(declaration.entries.map((item) => item.key));
    const ownership = (id: string) => entryOwnership(id, entryPlanOptions(config, options));
    entries = {
      plan,
      changes: plan.update.map((item) => fieldChanges(item, byId.get(item.entry.id))),
      deleteReasons: plan.delete.map((entry) =>
        ownership(entry.id) === "deleteOnly"
          ? "entry_id_prefix_cleanup"
          : declaredKeys.has(scmEntryKey(entry))
            ? "duplicate"
            : "undeclared",
      ),
      ownership: countOwnership(input.entries, config, ownership),
    };
    renderFailures = declaration.renderFailures;
    statuses = statusesAfterApply(declaration, input.cluster, acceptedOutcome(plan));
    for (const item of declaration.clusterSpiffeIds)
      if (item.specError !== undefined)
        invalid.push({ kind: "ClusterSPIFFEID", name: item.resource.name, error: item.specError.message });
    for (const item of declaration.clusterStaticEntries)
      if (item.renderError !== undefined)
        invalid.push({
          kind: "ClusterStaticEntry",
          name: item.resource.name,
          error: item.renderError.message,
        });
  } else
    notes.push("entries not planned: reconcile.clusterSPIFFEIDs and reconcile.clusterStaticEntries are off");
  let federation: ScmFederationPlan | undefined;
  if (federationPassEnabled(config)) {
    // Without SPIRE's relationships only the CRs' own problems are known.
    const current = input.relationships ?? [];
    const plan = planFederation(input.clusterFederatedTrustDomains, current, config);
    for (const ignored of plan.ignored)
      invalid.push({
        kind: "ClusterFederatedTrustDomain",
        name: ignored.name,
        error:
          typeof ignored.detail === "string"
            ? `its trust domain is already declared by ClusterFederatedTrustDomain ${ignored.detail}`
            : ignored.detail.message,
      });
    if (input.relationships !== undefined) {
      const byTrustDomain = new Map(current.map((relationship) => [relationship.trustDomain, relationship]));
      federation = {
        plan,
        currentOfUpdates: plan.update.map((relationship) => byTrustDomain.get(relationship.trustDomain)),
        unchanged: current.length - plan.delete.length - plan.update.length,
      };
    } else notes.push("federation relationships not planned: SPIRE's relationships were not read");
  } else notes.push("federation relationships not planned: reconcile.clusterFederatedTrustDomains is off");
  return { entries, federation, renderFailures, invalid, statuses, notes };
}

function countOwnership(
  current: readonly CurrentEntry[],
  config: Pick<ScmConfig, "entryIdPrefix" | "entryIdPrefixCleanup">,
  ownership: (id: string) => ReturnType<typeof entryOwnership>,
): EntryOwnershipCount {
  const count = {
    entryIdPrefix: config.entryIdPrefix,
    entryIdPrefixCleanup: config.entryIdPrefixCleanup,
    managed: 0,
    ignored: 0,
    deleteOnly: 0,
    joinTokens: 0,
  };
  for (const entry of current) {
    const owned = ownership(entry.id);
    count[owned]++;
    if (owned === "managed" && isJoinTokenEntry(entry)) count.joinTokens++;
  }
  return count;
}

/** Each outdated field of an update with SPIRE's value and the declared one. */
function fieldChanges(update: PlannedUpdate, current: CurrentEntry | undefined): FieldChange[] {
  const declared = update.entry;
  const now: Record<OutdatedField, unknown> = {
    x509SvidTtl: current?.x509SvidTtl ?? 0,
    jwtSvidTtl: current?.jwtSvidTtl ?? 0,
    federatesWith: current?.federatesWith ?? [],
    admin: current?.admin ?? false,
    downstream: current?.downstream ?? false,
    dnsNames: current?.dnsNames ?? [],
    hint: current?.hint ?? "",
    storeSvid: current?.storeSvid ?? false,
  };
  return update.outdated.map((field) => ({ field, current: now[field], declared: declared[field] }));
}
