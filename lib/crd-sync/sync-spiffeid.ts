/**
 * SpiffeID -> SPIRE (reference §4.4, with the §7 fixes). The resource is the truth: its entry (recorded in
 * `status.entryId`) is created, updated, or replaced to match the spec; on deletion the entry is deleted
 * before our finalizer is removed. SPIRE refusing an entry is an answer, not an outage: it is reported in
 * the `Ready` condition and not retried. The status is written only when it changes, because each write is
 * a new SpiffeID event.
 */
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import type { Entry, EntrySpec } from "../planner/entry.js";
import { SPIFFEID_FINALIZER, type SpiffeId } from "../planner/spiffeid.js";
import { spiffeIdToEntrySpec } from "../planner/spiffeid-entry.js";
import { planEntrySync } from "../planner/spiffeid-entry-plan.js";
import { nextStatus, type SyncOutcome } from "../planner/spiffeid-status.js";
import { retryOnConflict } from "./conflict.js";
import { type CrdContext, type CrdResult, type CrdSummary, emptyCrdSummary } from "./context.js";

/** Entries already listed (by the resync), so a sync needs no GetEntry; a missing id means "not in SPIRE". */
export type EntryLookup = ReadonlyMap<string, Entry>;

/** The sync of one SpiffeID; `entryId` is the entry it records afterwards (for the resync's cleanup). */
export type SyncResult = CrdResult & { readonly entryId?: string };

/** Re-reads the SpiffeID and syncs it; a SpiffeID that does not exist is a no-op. */
export function syncSpiffeIdByName(
  context: CrdContext,
  namespace: string,
  name: string,
): Promise<SyncResult> {
  return retryOnConflict(async () => {
    const spiffeId = await context.spiffeIds.get(namespace, name);
    if (spiffeId === undefined) return { ok: true, summary: emptyCrdSummary() };
    return syncOnce(context, spiffeId, undefined);
  });
}

/** Syncs an object already read (the resync's list); on a write conflict it is re-read and synced again. */
export function syncSpiffeId(
  context: CrdContext,
  spiffeId: SpiffeId,
  entries?: EntryLookup,
): Promise<SyncResult> {
  const { namespace, name } = spiffeId.metadata;
  return retryOnConflict(async (attempt) => {
    const fresh = attempt === 1 ? spiffeId : await context.spiffeIds.get(namespace, name);
    if (fresh === undefined) return { ok: true, summary: emptyCrdSummary() };
    // After a conflict the entry list may be stale too: look the entry up in SPIRE.
    return syncOnce(context, fresh, attempt === 1 ? entries : undefined);
  });
}

async function syncOnce(
  context: CrdContext,
  object: SpiffeId,
  entries: EntryLookup | undefined,
): Promise<SyncResult> {
  const summary = emptyCrdSummary();
  const logger = context.logger.child({
    [LogField.kind]: "SpiffeID",
    [LogField.namespace]: object.metadata.namespace,
    [LogField.name]: object.metadata.name,
  });
  if (object.metadata.deletionTimestamp !== undefined) return finalize(context, object, summary, logger);

  let spiffeId = object;
  const finalizers = spiffeId.metadata.finalizers ?? [];
  if (!finalizers.includes(SPIFFEID_FINALIZER)) {
    spiffeId = await context.spiffeIds.replace({
      ...spiffeId,
      metadata: { ...spiffeId.metadata, finalizers: [...finalizers, SPIFFEID_FINALIZER] },
    });
    summary.spiffeIdsUpdated++;
  }

  const desired = spiffeIdToEntrySpec(spiffeId.spec);
  const recorded = spiffeId.status?.entryId || undefined;
  let outcome: SyncOutcome;
  if (!desired.ok) {
    // The recorded entry (if any) is left as it is: an edit that broke the spec must not revoke a workload.
    logger.warn({ [LogField.entryId]: recorded }, `SpiffeID spec is invalid: ${desired.error}`);
    outcome = { entryId: recorded, reason: "InvalidSpec", message: desired.error };
  } else {
    const applied = await applyEntry(context, desired.value, recorded, entries, summary, logger);
    if (!applied.ok) return { ...applied, summary };
    outcome = applied.outcome;
  }

  const status = nextStatus(
    spiffeId.status,
    outcome,
    spiffeId.metadata.generation,
    new Date(context.now()).toISOString(),
  );
  if (status !== undefined) {
    await context.spiffeIds.replaceStatus({ ...spiffeId, status });
    summary.statusWrites++;
  }
  return { ok: true, summary, ...(outcome.entryId === undefined ? {} : { entryId: outcome.entryId }) };
}

type Applied =
  | { readonly ok: true; readonly outcome: SyncOutcome }
  | { readonly ok: false; readonly message: string; readonly retryable: boolean; readonly cause?: unknown };

/** Makes SPIRE hold `desired` under the recorded id (or a new one), per planEntrySync. */
async function applyEntry(
  context: CrdContext,
  desired: EntrySpec,
  recorded: string | undefined,
  entries: EntryLookup | undefined,
  summary: CrdSummary,
  logger: Logger,
): Promise<Applied> {
  const { spire } = context;
  let current: Entry | undefined;
  if (recorded !== undefined) {
    if (entries !== undefined) current = entries.get(recorded);
    else {
      const fetched = await spire.getEntry(recorded);
      if (!fetched.ok) return spireFailure(fetched.error);
      current = fetched.value;
    }
  }
  const step = planEntrySync(desired, current);
  if (step.kind === "none") return synced(step.entry.id);
  if (step.kind === "update") return update(context, desired, step.entry.id, summary, logger);

  const created = await spire.createEntries([desired]);
  if (!created.ok) return spireFailure(created.error);
  const result = created.value[0];
  if (result === undefined || !result.ok) {
    summary.entriesRejected++;
    const message = result?.message ?? "SPIRE returned no result";
    logger.warn(
      { [LogField.spiffeId]: desired.spiffeId, code: result?.code },
      `SPIRE refused the entry: ${message}`,
    );
    // A replaced entry stays recorded (and in SPIRE) until SPIRE accepts its successor.
    return rejected(step.kind === "replace" ? step.old.id : undefined, message);
  }
  const entryId = result.entry.id;
  if (result.existed) {
    // AlreadyExists: SPIRE has an entry with this SPIFFE ID, parent and selectors; adopt it, as Go did.
    logger.info({ [LogField.entryId]: entryId }, "adopted the existing SPIRE entry");
    const adopted = planEntrySync(desired, result.entry);
    if (adopted.kind === "update") {
      const updated = await update(context, desired, entryId, summary, logger);
      if (!updated.ok || updated.outcome.reason !== "EntrySynced") return updated;
    }
  } else {
    summary.entriesCreated++;
    logger.info({ [LogField.entryId]: entryId, [LogField.spiffeId]: desired.spiffeId }, "created entry");
  }
  if (step.kind === "replace" && step.old.id !== entryId) {
    const deleted = await spire.deleteEntries([step.old.id]);
    if (!deleted.ok) return spireFailure(deleted.error);
    const item = deleted.value[0];
    if (item?.ok) {
      if (item.existed) summary.entriesDeleted++;
    } else {
      // Not recorded any more: the resync deletes it (it has the registrar's shape) or an operator does.
      logger.warn(
        { [LogField.entryId]: step.old.id },
        `could not delete the replaced entry: ${item?.message}`,
      );
    }
  }
  return synced(entryId);
}

async function update(
  context: CrdContext,
  desired: EntrySpec,
  id: string,
  summary: CrdSummary,
  logger: Logger,
): Promise<Applied> {
  const updated = await context.spire.updateEntries([{ ...desired, id }]);
  if (!updated.ok) return spireFailure(updated.error);
  const result = updated.value[0];
  if (result?.ok) {
    summary.entriesUpdated++;
    logger.info({ [LogField.entryId]: id }, "updated entry");
    return synced(id);
  }
  if (result?.code === NOT_FOUND) {
    // Deleted between the read and the update: a retry finds it gone and creates it.
    return { ok: false, message: `entry ${id} was deleted from SPIRE during the update`, retryable: true };
  }
  summary.entriesRejected++;
  const message = result?.message ?? "SPIRE returned no result";
  logger.warn({ [LogField.entryId]: id, code: result?.code }, `SPIRE refused the entry update: ${message}`);
  return rejected(id, message);
}

/** Deletion: the entry goes first (NotFound counts as done), then our finalizer, so nothing is left behind. */
async function finalize(
  context: CrdContext,
  spiffeId: SpiffeId,
  summary: CrdSummary,
  logger: Logger,
): Promise<SyncResult> {
  const finalizers = spiffeId.metadata.finalizers ?? [];
  if (!finalizers.includes(SPIFFEID_FINALIZER)) return { ok: true, summary };
  const entryId = spiffeId.status?.entryId;
  if (entryId) {
    const deleted = await context.spire.deleteEntries([entryId]);
    if (!deleted.ok) return { ...spireFailure(deleted.error), summary };
    const item = deleted.value[0];
    if (!item?.ok) {
      const message = `SPIRE refused to delete entry ${entryId}: ${item?.message ?? "no result"}; the finalizer stays`;
      return { ok: false, message, retryable: true, summary };
    }
    if (item.existed) summary.entriesDeleted++;
  }
  await context.spiffeIds.replace({
    ...spiffeId,
    metadata: { ...spiffeId.metadata, finalizers: finalizers.filter((f) => f !== SPIFFEID_FINALIZER) },
  });
  summary.spiffeIdsUpdated++;
  logger.info({ [LogField.entryId]: entryId }, "finalized SpiffeID");
  return { ok: true, summary };
}

const NOT_FOUND = 5;

function synced(entryId: string): Applied {
  return {
    ok: true,
    outcome: { entryId, reason: "EntrySynced", message: "the SPIRE entry matches the spec" },
  };
}

function rejected(entryId: string | undefined, message: string): Applied {
  return { ok: true, outcome: { entryId, reason: "SpireRejected", message } };
}

function spireFailure(error: { message: string; retryable: boolean }): {
  ok: false;
  message: string;
  retryable: boolean;
  cause: unknown;
} {
  return { ok: false, message: error.message, retryable: error.retryable, cause: error };
}
