/**
 * Executes planned writes against SPIRE in SCM's order (entries: deletes, creates, updates; relationships
 * the same), counting what happened, and what each declaring custom resource's status needs to know
 * (SPIRE's refusals per CR, and which CRs had an entry created). A refused item is logged and counted, never
 * retried in the same pass; a failed RPC stops the pass with the SPIRE error.
 */
import { LogField } from "../log/log-fields.js";
import type { ApplyOutcome, EntryPlan, FederationPlan } from "../scm/index.js";
import type { SpireError } from "../spire/errors.js";
import type { ScmSummary, ScmSyncContext } from "./context.js";

export interface EntryApplyResult {
  readonly outcome: ApplyOutcome;
  /** The RPC failure that stopped the writes, if any. */
  readonly failure?: SpireError;
}

export async function applyEntryPlan(
  context: Pick<ScmSyncContext, "spire" | "logger">,
  plan: EntryPlan,
  summary: ScmSummary,
): Promise<EntryApplyResult> {
  const { spire, logger } = context;
  const entryFailures = new Map<string, number>();
  const created = new Set<string>();
  const failedFor = (uid: string) => entryFailures.set(uid, (entryFailures.get(uid) ?? 0) + 1);
  summary.entriesUnchanged += plan.unchanged;
  const outcome = (): ApplyOutcome => ({ entryFailures, created });

  if (plan.delete.length > 0) {
    const deleted = await spire.deleteEntries(plan.delete.map((entry) => entry.id));
    const results = deleted.ok ? deleted.value : (deleted.partial ?? []);
    results.forEach((result, index) => {
      if (result === undefined) return;
      if (result.ok) summary.entriesDeleted += result.existed ? 1 : 0;
      else
        logger.warn(
          { [LogField.entryId]: plan.delete[index]?.id, code: result.code },
          `SPIRE refused to delete entry: ${result.message}`,
        );
    });
    if (!deleted.ok) return { outcome: outcome(), failure: deleted.error };
  }

  if (plan.create.length > 0) {
    const result = await spire.createEntries(plan.create.map((item) => item.entry));
    const results = result.ok ? result.value : (result.partial ?? []);
    plan.create.forEach((item, index) => {
      const itemResult = results[index];
      if (itemResult?.ok) {
        summary.entriesCreated++;
        created.add(item.declarer.uid);
        return;
      }
      summary.entriesFailed++;
      failedFor(item.declarer.uid);
      if (itemResult !== undefined)
        logger.warn(
          { [LogField.spiffeId]: item.entry.spiffeId, declarer: item.declarer.name, code: itemResult.code },
          `SPIRE refused to create entry: ${itemResult.message}`,
        );
    });
    if (!result.ok) return { outcome: outcome(), failure: result.error };
  }

  if (plan.update.length > 0) {
    const result = await spire.replaceEntries(plan.update.map((item) => item.entry));
    const results = result.ok ? result.value : (result.partial ?? []);
    plan.update.forEach((item, index) => {
      const itemResult = results[index];
      if (itemResult?.ok) {
        summary.entriesUpdated++;
        return;
      }
      summary.entriesFailed++;
      failedFor(item.declarer.uid);
      if (itemResult !== undefined)
        logger.warn(
          { [LogField.entryId]: item.entry.id, declarer: item.declarer.name, code: itemResult.code },
          `SPIRE refused to update entry (${item.outdated.join(", ")}): ${itemResult.message}`,
        );
    });
    if (!result.ok) return { outcome: outcome(), failure: result.error };
  }
  return { outcome: outcome() };
}

/** Writes a federation plan; the first failed RPC stops it. */
export async function applyFederationPlan(
  context: Pick<ScmSyncContext, "federation" | "logger">,
  plan: FederationPlan,
  summary: ScmSummary,
): Promise<SpireError | undefined> {
  const { federation, logger } = context;
  const steps = [
    {
      verb: "delete",
      names: plan.delete.map((item) => item.trustDomain),
      send: () => federation.delete(plan.delete.map((item) => item.trustDomain)),
      count: () => summary.relationshipsDeleted++,
    },
    {
      verb: "create",
      names: plan.create.map((item) => item.trustDomain),
      send: () => federation.create(plan.create),
      count: () => summary.relationshipsCreated++,
    },
    {
      verb: "update",
      names: plan.update.map((item) => item.trustDomain),
      send: () => federation.update(plan.update),
      count: () => summary.relationshipsUpdated++,
    },
  ];
  for (const step of steps) {
    if (step.names.length === 0) continue;
    const result = await step.send();
    if (!result.ok) return result.error;
    result.value.forEach((item, index) => {
      if (item.ok) step.count();
      else {
        summary.relationshipsFailed++;
        logger.warn(
          { trust_domain: step.names[index] },
          `SPIRE refused to ${step.verb} the federation relationship: ${item.message}`,
        );
      }
    });
  }
  return undefined;
}
