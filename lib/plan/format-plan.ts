/**
 * How `registrar plan` prints a plan: `json` for scripts, with a stable entry shape (IDs as
 * `spiffe://` strings, selectors as sorted `type:value` strings, DNS names in entry order,
 * federatesWith sorted, `id` on updates and deletes), or a readable table.
 */
import type { Plan } from "../planner/diff.js";
import type { Entry, EntrySpec } from "../planner/entry.js";
import { spiffeIdSelectors } from "../planner/spiffeid-selectors.js";
import type { CrdPlan, SpiffeIdChange } from "./crd-plan.js";

export interface PrintedEntry {
  readonly id?: string;
  readonly spiffeId: string;
  readonly parentId: string;
  readonly selectors: string[];
  readonly dnsNames: string[];
  readonly federatesWith: string[];
  readonly admin: boolean;
  readonly downstream: boolean;
}

export function printedEntry(entry: EntrySpec | Entry): PrintedEntry {
  return {
    ...("id" in entry ? { id: entry.id } : {}),
    spiffeId: entry.spiffeId,
    parentId: entry.parentId,
    selectors: entry.selectors.map((s) => `${s.type}:${s.value}`).sort(),
    dnsNames: [...entry.dnsNames],
    federatesWith: [...entry.federatesWith].sort(),
    admin: entry.admin,
    downstream: entry.downstream,
  };
}

export function planToJson(plan: Plan): {
  create: PrintedEntry[];
  update: PrintedEntry[];
  delete: PrintedEntry[];
} {
  return {
    create: plan.create.map(printedEntry),
    update: plan.update.map(printedEntry),
    delete: plan.delete.map(printedEntry),
  };
}

/** One line per change, grouped by action, then a count line. */
export function planToTable(plan: Plan): string {
  const rows: string[][] = [["ACTION", "SPIFFE ID", "PARENT ID", "SELECTORS", "DNS NAMES", "ENTRY ID"]];
  const add = (action: string, entry: EntrySpec | Entry) => {
    const printed = printedEntry(entry);
    rows.push([
      action,
      printed.spiffeId,
      printed.parentId,
      printed.selectors.join(","),
      printed.dnsNames.join(",") || "-",
      printed.id ?? "-",
    ]);
  };
  for (const entry of plan.create) add("create", entry);
  for (const entry of plan.update) add("update", entry);
  for (const entry of plan.delete) add("delete", entry);
  const lines = formatColumns(rows);
  lines.push(
    `${plan.create.length} to create, ${plan.update.length} to update, ${plan.delete.length} to delete`,
  );
  return `${lines.join("\n")}\n`;
}

/**
 * Rows (the first a header) as lines of left-aligned columns two spaces apart; no lines when there is only
 * the header.
 */
export function formatColumns(rows: readonly (readonly string[])[]): string[] {
  if (rows.length <= 1) return [];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

/** A SpiffeID as `registrar plan` prints it; selectors as sorted SPIRE `type:value` strings. */
export interface PrintedSpiffeId {
  readonly namespace: string;
  readonly name: string;
  readonly spiffeId: string;
  readonly parentId: string;
  readonly selectors: string[];
  readonly dnsNames: string[];
  readonly federatesWith: string[];
}

export function printedSpiffeId(change: SpiffeIdChange): PrintedSpiffeId {
  return {
    namespace: change.namespace,
    name: change.name,
    spiffeId: change.spec.spiffeId,
    parentId: change.spec.parentId,
    selectors: spiffeIdSelectors(change.spec.selector)
      .map((s) => `${s.type}:${s.value}`)
      .sort(),
    dnsNames: [...(change.spec.dnsNames ?? [])],
    federatesWith: [...(change.spec.federatesWith ?? [])].sort(),
  };
}

/** crd mode: the SpiffeID writes under `spiffeIds`, the entry writes as in the other modes. */
export function crdPlanToJson(plan: CrdPlan) {
  return {
    spiffeIds: {
      create: plan.spiffeIds.create.map(printedSpiffeId),
      update: plan.spiffeIds.update.map(printedSpiffeId),
      delete: plan.spiffeIds.delete.map(printedSpiffeId),
    },
    ...planToJson(plan.entries),
  };
}

export function crdPlanToTable(plan: CrdPlan): string {
  const lines: string[] = [];
  for (const action of ["create", "update", "delete"] as const) {
    for (const change of plan.spiffeIds[action]) {
      lines.push(
        `${action} SpiffeID ${change.namespace}/${change.name}  ${change.spec.spiffeId}  parent ${change.spec.parentId}`,
      );
    }
  }
  const { create, update } = plan.spiffeIds;
  lines.push(
    `${create.length} SpiffeIDs to create, ${update.length} to update, ${plan.spiffeIds.delete.length} to delete`,
    "",
  );
  return `${lines.join("\n")}\n${planToTable(plan.entries)}`;
}
