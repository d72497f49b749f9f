/**
 * Writes a plan to SPIRE with the client's batched RPCs and counts what happened. A refused item
 * (e.g. SPIRE rejects one DNS name) is counted as failed and logged, and never stops the rest; a
 * whole RPC that still fails after the client's retries ends the apply with that error, so the
 * caller can answer "retry later".
 */
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import type { Metrics } from "../metrics/metrics.js";
import type { Plan } from "../planner/diff.js";
import type { Entry, EntrySpec } from "../planner/entry.js";
import type { CreateEntryResult, SpireClient } from "../spire/client.js";
import type { SpireError } from "../spire/errors.js";

export interface ApplySummary {
  /** Entries this apply wrote. */
  created: number;
  /** Entries to create that SPIRE already had (AlreadyExists: another writer got there first). */
  existing: number;
  updated: number;
  deleted: number;
  failed: number;
}

/** `refused`: the plan's items SPIRE refused (the same objects as in the plan), so callers can attribute them. */
export type ApplyResult =
  | { ok: true; summary: ApplySummary; refused?: ReadonlySet<EntrySpec> }
  | { ok: false; error: SpireError; summary: ApplySummary; refused?: ReadonlySet<EntrySpec> };

export function emptySummary(): ApplySummary {
  return { created: 0, existing: 0, updated: 0, deleted: 0, failed: 0 };
}

/** Adds `more` into `total`. */
export function addSummary(total: ApplySummary, more: ApplySummary): void {
  total.created += more.created;
  total.existing += more.existing;
  total.updated += more.updated;
  total.deleted += more.deleted;
  total.failed += more.failed;
}

/**
 * Creates, then updates, then deletes: a pod never loses its old entry before its new one exists.
 * When an RPC fails, the summary still counts what the RPCs before it wrote.
 */
export async function applyPlan(
  spire: SpireClient,
  plan: Plan,
  logger: Logger,
  metrics?: Metrics,
): Promise<ApplyResult> {
  const result = await applyInOrder(spire, plan, logger);
  if (metrics) {
    for (const action of ["created", "updated", "deleted", "failed"] as const)
      metrics.entries(action, result.summary[action]);
  }
  return result;
}

async function applyInOrder(spire: SpireClient, plan: Plan, logger: Logger): Promise<ApplyResult> {
  const summary = emptySummary();
  const refused = new Set<EntrySpec>();
  if (plan.create.length > 0) {
    const results = await spire.createEntries(plan.create);
    const written = results.ok ? results.value : (results.partial ?? []);
    written.forEach((result, i) => {
      if (result !== undefined) countCreate(result, plan.create[i] as EntrySpec, summary, refused, logger);
    });
    if (!results.ok) return { ok: false, error: results.error, summary, refused };
  }
  if (plan.update.length > 0) {
    const results = await spire.updateEntries(plan.update);
    const written = results.ok ? results.value : (results.partial ?? []);
    written.forEach((result, i) => {
      if (result !== undefined)
        countChange(result, plan.update[i] as Entry, "update", summary, refused, logger);
    });
    if (!results.ok) return { ok: false, error: results.error, summary, refused };
  }
  if (plan.delete.length > 0) {
    const results = await spire.deleteEntries(plan.delete.map((entry) => entry.id));
    const written = results.ok ? results.value : (results.partial ?? []);
    written.forEach((result, i) => {
      if (result !== undefined)
        countChange(result, plan.delete[i] as Entry, "delete", summary, refused, logger);
    });
    if (!results.ok) return { ok: false, error: results.error, summary, refused };
  }
  return { ok: true, summary, refused };
}

function countCreate(
  result: CreateEntryResult,
  spec: EntrySpec,
  summary: ApplySummary,
  refused: Set<EntrySpec>,
  logger: Logger,
): void {
  if (result.ok) {
    if (result.existed) summary.existing++;
    else summary.created++;
    logger.debug(
      { [LogField.spiffeId]: spec.spiffeId, [LogField.entryId]: result.entry.id, existed: result.existed },
      "created entry",
    );
    return;
  }
  summary.failed++;
  refused.add(spec);
  logger.warn(
    { [LogField.spiffeId]: spec.spiffeId, [LogField.parentId]: spec.parentId, code: result.code },
    `SPIRE refused to create entry: ${result.message}`,
  );
}

function countChange(
  result: { ok: true } | { ok: false; code: number; message: string },
  entry: Entry,
  verb: "update" | "delete",
  summary: ApplySummary,
  refused: Set<EntrySpec>,
  logger: Logger,
): void {
  const fields = { [LogField.spiffeId]: entry.spiffeId, [LogField.entryId]: entry.id };
  if (result.ok) {
    if (verb === "update") summary.updated++;
    else summary.deleted++;
    logger.debug(fields, `${verb}d entry`);
  } else {
    summary.failed++;
    refused.add(entry);
    logger.warn({ ...fields, code: result.code }, `SPIRE refused to ${verb} entry: ${result.message}`);
  }
}
