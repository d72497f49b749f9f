/**
 * How `registrar plan` prints a cluster-spiffeid plan. JSON: the entry writes under `create`, `update` and
 * `delete` as in the other modes (with the SVID fields SCM manages, the declaring custom resource, each
 * update's outdated fields and each delete's reason), `unchanged`, `ownership`, `federation`, `renderFailures`,
 * `invalid`, `statuses` and `notes`. Table: the same, one section each.
 */
import type { CurrentRelationship, Declarer, FederationRelationship } from "../scm/index.js";
import type { CustomResourceStatus } from "../scm-sync/plan-pass.js";
import type { DeleteReason, EntryOwnershipCount, FieldChange, ScmPlan } from "./cluster-spiffeid-plan.js";
import { formatColumns, type PrintedEntry, printedEntry } from "./format-plan.js";

/** An entry with the fields SCM writes; TTLs in seconds. */
export interface PrintedScmEntry extends PrintedEntry {
  readonly x509SvidTtl: number;
  readonly jwtSvidTtl: number;
  readonly hint: string;
  readonly storeSvid: boolean;
}

export interface PrintedDeclarer {
  readonly kind: Declarer["kind"];
  readonly name: string;
}

export interface PrintedRelationship {
  readonly trustDomain: string;
  readonly bundleEndpointUrl: string;
  readonly bundleEndpointProfile: "https_web" | "https_spiffe";
  readonly endpointSpiffeId?: string;
  /** Why SPIRE will refuse this relationship's bundle (SCM sends it anyway). */
  readonly bundleError?: string;
}

const STATUS_KIND = {
  clusterspiffeids: "ClusterSPIFFEID",
  clusterstaticentries: "ClusterStaticEntry",
} as const;

export function scmPlanToJson(plan: ScmPlan) {
  const entries = plan.entries;
  const federation = plan.federation;
  return {
    create: (entries?.plan.create ?? []).map((item) => ({
      ...printedScmEntry(item.entry),
      declaredBy: printedDeclarer(item.declarer),
    })),
    update: (entries?.plan.update ?? []).map((item, index) => ({
      ...printedScmEntry(item.entry),
      declaredBy: printedDeclarer(item.declarer),
      outdated: entries?.changes[index] ?? [],
    })),
    delete: (entries?.plan.delete ?? []).map((entry, index) => ({
      ...printedScmEntry(entry),
      reason: entries?.deleteReasons[index] ?? "undeclared",
    })),
    unchanged: entries?.plan.unchanged ?? 0,
    ownership: entries
      ? { ...entries.ownership, entryIdPrefixCleanup: entries.ownership.entryIdPrefixCleanup ?? null }
      : null,
    federation: federation
      ? {
          create: federation.plan.create.map(printedRelationship),
          update: federation.plan.update.map((relationship, index) => {
            const current = federation.currentOfUpdates[index];
            return {
              ...printedRelationship(relationship),
              ...(current === undefined ? {} : { current: printedRelationship(current) }),
            };
          }),
          delete: federation.plan.delete.map(printedRelationship),
          unchanged: federation.unchanged,
        }
      : null,
    renderFailures: plan.renderFailures.map((failure) => ({
      clusterSpiffeId: failure.clusterSpiffeId.name,
      namespace: failure.pod.namespace,
      pod: failure.pod.name,
      error: failure.error,
    })),
    invalid: plan.invalid,
    statuses: plan.statuses.map((item) => ({
      kind: STATUS_KIND[item.resource],
      name: item.name,
      status: item.status,
      changed: item.changed,
    })),
    notes: plan.notes,
  };
}

export function scmPlanToTable(plan: ScmPlan): string {
  const sections: string[][] = [];
  if (plan.entries) {
    const { plan: writes, changes, deleteReasons, ownership } = plan.entries;
    const rows = [["ACTION", "SPIFFE ID", "PARENT ID", "SELECTORS", "ENTRY ID", "DETAIL"]];
    const row = (action: string, entry: PrintedScmEntry, detail: string) =>
      rows.push([action, entry.spiffeId, entry.parentId, entry.selectors.join(","), entry.id ?? "-", detail]);
    for (const item of writes.create) row("create", printedScmEntry(item.entry), declarerText(item.declarer));
    writes.update.forEach((item, index) => {
      row(
        "update",
        printedScmEntry(item.entry),
        `${declarerText(item.declarer)}: ${changesText(changes[index] ?? [])}`,
      );
    });
    writes.delete.forEach((entry, index) => {
      row("delete", printedScmEntry(entry), DELETE_REASON_TEXT[deleteReasons[index] ?? "undeclared"]);
    });
    sections.push([
      ...formatColumns(rows),
      `entries: ${writes.create.length} to create, ${writes.update.length} to update, ${writes.delete.length} to delete, ${writes.unchanged} unchanged`,
      ownershipText(ownership),
    ]);
  }
  if (plan.federation) {
    const { plan: writes, currentOfUpdates, unchanged } = plan.federation;
    const rows = [["ACTION", "TRUST DOMAIN", "BUNDLE ENDPOINT URL", "PROFILE", "DETAIL"]];
    const row = (action: string, relationship: CurrentRelationship | FederationRelationship, detail = "") =>
      rows.push([
        action,
        relationship.trustDomain,
        relationship.bundleEndpointUrl,
        profileText(relationship),
        [detail, bundleErrorText(relationship)].filter(Boolean).join("; "),
      ]);
    for (const relationship of writes.create) row("create", relationship);
    writes.update.forEach((relationship, index) => {
      const current = currentOfUpdates[index];
      row("update", relationship, current ? `now ${current.bundleEndpointUrl} ${profileText(current)}` : "");
    });
    for (const relationship of writes.delete)
      row("delete", relationship, "no ClusterFederatedTrustDomain declares it");
    sections.push([
      ...formatColumns(rows),
      `federation relationships: ${writes.create.length} to create, ${writes.update.length} to update, ${writes.delete.length} to delete, ${unchanged} unchanged`,
    ]);
  }
  if (plan.renderFailures.length > 0)
    sections.push([
      `render failures (${plan.renderFailures.length}):`,
      ...plan.renderFailures.map(
        (failure) =>
          `  ClusterSPIFFEID ${failure.clusterSpiffeId.name}, pod ${failure.pod.namespace}/${failure.pod.name}: ${failure.error}`,
      ),
    ]);
  if (plan.invalid.length > 0)
    sections.push([
      `invalid custom resources (${plan.invalid.length}):`,
      ...plan.invalid.map((item) => `  ${item.kind} ${item.name}: ${item.error}`),
    ]);
  if (plan.statuses.length > 0)
    sections.push([
      "status after the pass (if SPIRE accepts every write):",
      ...plan.statuses.map(statusText),
    ]);
  if (plan.notes.length > 0) sections.push(plan.notes.map((note) => `note: ${note}`));
  return `${sections.map((lines) => lines.join("\n")).join("\n\n")}\n`;
}

const DELETE_REASON_TEXT: Readonly<Record<DeleteReason, string>> = {
  undeclared: "no custom resource declares it",
  duplicate: "a duplicate of a declared entry",
  entry_id_prefix_cleanup: "entry_id_prefix_cleanup",
};

function printedScmEntry(
  entry: Parameters<typeof printedEntry>[0] & {
    readonly x509SvidTtl?: number;
    readonly jwtSvidTtl?: number;
    readonly hint?: string;
    readonly storeSvid?: boolean;
  },
): PrintedScmEntry {
  return {
    ...printedEntry(entry),
    x509SvidTtl: entry.x509SvidTtl ?? 0,
    jwtSvidTtl: entry.jwtSvidTtl ?? 0,
    hint: entry.hint ?? "",
    storeSvid: entry.storeSvid ?? false,
  };
}

function printedDeclarer(declarer: Declarer): PrintedDeclarer {
  return { kind: declarer.kind, name: declarer.name };
}

function printedRelationship(
  relationship: CurrentRelationship | FederationRelationship,
): PrintedRelationship {
  const profile = relationship.bundleEndpointProfile;
  const bundleError = "bundleError" in relationship ? relationship.bundleError : undefined;
  return {
    trustDomain: relationship.trustDomain,
    bundleEndpointUrl: relationship.bundleEndpointUrl,
    bundleEndpointProfile: profile.type,
    ...(profile.type === "https_spiffe" ? { endpointSpiffeId: profile.endpointSpiffeId } : {}),
    ...(bundleError === undefined ? {} : { bundleError }),
  };
}

function declarerText(declarer: Declarer): string {
  return `${declarer.kind} ${declarer.name}`;
}

function changesText(changes: readonly FieldChange[]): string {
  return changes
    .map(
      (change) => `${change.field} ${JSON.stringify(change.current)} -> ${JSON.stringify(change.declared)}`,
    )
    .join(", ");
}

function profileText(relationship: CurrentRelationship): string {
  const profile = relationship.bundleEndpointProfile;
  return profile.type === "https_spiffe" ? `https_spiffe ${profile.endpointSpiffeId}` : profile.type;
}

function bundleErrorText(relationship: CurrentRelationship | FederationRelationship): string {
  const error = "bundleError" in relationship ? relationship.bundleError : undefined;
  return error === undefined ? "" : `SPIRE will refuse its bundle: ${error}`;
}

function ownershipText(ownership: EntryOwnershipCount): string {
  const total = ownership.managed + ownership.ignored + ownership.deleteOnly;
  const joinTokens =
    ownership.joinTokens > 0 ? ` (${ownership.joinTokens} join-token entries, never deleted)` : "";
  if (ownership.entryIdPrefix === "")
    return `ownership: no entry_id_prefix, so all ${total} SPIRE entries are managed${joinTokens}: any entry no custom resource declares is deleted`;
  const cleanup =
    ownership.entryIdPrefixCleanup === undefined
      ? ""
      : `, ${ownership.deleteOnly} delete-only (entry_id_prefix_cleanup ${JSON.stringify(ownership.entryIdPrefixCleanup)}${ownership.entryIdPrefixCleanup === "" ? ': IDs without a "."' : ""})`;
  return `ownership: entry_id_prefix ${JSON.stringify(ownership.entryIdPrefix)}: ${ownership.managed} managed${joinTokens}, ${ownership.ignored} ignored (IDs outside the prefix, never touched)${cleanup}`;
}

function statusText(item: CustomResourceStatus): string {
  const fields = item.resource === "clusterspiffeids" ? item.status.stats : item.status;
  const values = Object.entries(fields)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(", ");
  return `  ${STATUS_KIND[item.resource]} ${item.name}: ${values} (${item.changed ? "changed" : "unchanged"})`;
}
