/**
 * Keeps one derived SpiffeID (a pod's or a node's) equal to what the planner wants. The object of that name
 * is managed only when its controller owner is of the same kind (spiffeid-owner.ts), so manual SpiffeIDs
 * and a node/pod name collision are left alone with a warning. An object owned by another UID (a
 * StatefulSet pod recreated with the same name, a re-registered node) belongs to an object that is gone:
 * it is deleted and finalized here, at once (no garbage collector needed), and the new one is created.
 * An owner being deleted (a terminating pod) keeps the SpiffeID it has, but never gets a new one.
 */
import { LogField } from "../log/log-fields.js";
import type { DesiredSpiffeId } from "../planner/derive-crd.js";
import { SPIFFEID_FINALIZER, type SpiffeId } from "../planner/spiffeid.js";
import { needsRewrite, withDesired } from "../planner/spiffeid-changes.js";
import { controllerOwner, type DerivedOwnerKind, isDerivedFor } from "../planner/spiffeid-owner.js";
import { retryOnConflict } from "./conflict.js";
import { addCrdSummary, type CrdContext, type CrdResult, emptyCrdSummary } from "./context.js";
import { syncSpiffeId } from "./sync-spiffeid.js";

export interface DerivedTarget {
  readonly kind: DerivedOwnerKind;
  readonly namespace: string;
  readonly name: string;
  /** What the SpiffeID must be; undefined: the owner is gone or gets no identity, so it must not exist. */
  readonly desired: DesiredSpiffeId | undefined;
  /**
   * The owner has a deletionTimestamp. Its SpiffeID is kept up to date while it lasts, but none is
   * created for it: the garbage collector deletes the SpiffeIDs of an owner that is gone, and may do it
   * before the new one's status records its entry, which its finalizer would then leave in SPIRE.
   * (A SpiffeID deleted, by the collector or anyone, while its owner terminates is not brought back.)
   */
  readonly ownerTerminating?: boolean;
}

/**
 * Creates, rewrites or deletes the SpiffeID `target` names. `known` is the object as already read (the
 * resync's list; null for "known not to exist"); otherwise it is read first. Retried from a fresh read on
 * a write conflict.
 */
export function ensureDerivedSpiffeId(
  context: CrdContext,
  target: DerivedTarget,
  known?: SpiffeId | null,
): Promise<CrdResult> {
  return retryOnConflict(async (attempt) => {
    const existing =
      attempt === 1 && known !== undefined
        ? (known ?? undefined)
        : await context.spiffeIds.get(target.namespace, target.name);
    return ensureOnce(context, target, existing);
  });
}

async function ensureOnce(
  context: CrdContext,
  target: DerivedTarget,
  existing: SpiffeId | undefined,
): Promise<CrdResult> {
  const summary = emptyCrdSummary();
  const { desired } = target;
  const logger = context.logger.child({
    [LogField.kind]: target.kind,
    [LogField.namespace]: target.namespace,
    [LogField.name]: target.name,
  });
  let current = existing;
  if (current !== undefined && !isDerivedFor(current, target.kind)) {
    if (desired !== undefined) {
      logger.warn(
        `SpiffeID ${target.namespace}/${target.name} exists and is not a ${target.kind} SpiffeID of the registrar (owner: ${describeOwner(current)}); leaving it alone, so this ${target.kind} gets no SpiffeID`,
      );
    }
    return { ok: true, summary };
  }
  const wantedUid = desired?.metadata.ownerReferences[0]?.uid;
  // Also a SpiffeID someone deleted while its owner lives: finalize it now and create it again.
  const replaced =
    current !== undefined &&
    (controllerOwner(current)?.uid !== wantedUid || current.metadata.deletionTimestamp !== undefined);
  if (current !== undefined && replaced) {
    const removed = await removeSpiffeId(context, current);
    addCrdSummary(summary, removed.summary);
    if (!removed.ok) return { ...removed, summary };
    current = removed.remaining;
    if (current !== undefined && desired !== undefined) {
      return {
        ok: false,
        message: `SpiffeID ${target.namespace}/${target.name} of a previous ${target.kind} is still being deleted (finalizers: ${(current.metadata.finalizers ?? []).join(", ")})`,
        retryable: true,
        summary,
      };
    }
  }
  if (desired === undefined) return { ok: true, summary };
  if (current === undefined) {
    if (target.ownerTerminating) {
      logger.debug(`the ${target.kind} is being deleted: no new SpiffeID for it`);
      return { ok: true, summary };
    }
    await context.spiffeIds.create({
      metadata: { ...desired.metadata, finalizers: [SPIFFEID_FINALIZER] },
      spec: desired.spec,
    });
    summary.spiffeIdsCreated++;
    logger.info({ [LogField.spiffeId]: desired.spec.spiffeId }, "created SpiffeID");
  } else if (needsRewrite(desired, current)) {
    await context.spiffeIds.replace(withDesired(current, desired));
    summary.spiffeIdsUpdated++;
    logger.info({ [LogField.spiffeId]: desired.spec.spiffeId }, "updated SpiffeID");
  }
  return { ok: true, summary };
}

type Removed = CrdResult & { readonly remaining?: SpiffeId };

/**
 * Deletes a derived SpiffeID (UID precondition: never a successor) and runs its finalization right away,
 * so its entry goes and the object disappears without waiting for the SpiffeID event. `remaining` is the
 * object when another finalizer still holds it.
 */
async function removeSpiffeId(context: CrdContext, spiffeId: SpiffeId): Promise<Removed> {
  const { namespace, name, uid } = spiffeId.metadata;
  const summary = emptyCrdSummary();
  if (spiffeId.metadata.deletionTimestamp === undefined) {
    if (!(await context.spiffeIds.delete(namespace, name, uid))) return { ok: true, summary };
    summary.spiffeIdsDeleted++;
    context.logger.info({ [LogField.namespace]: namespace, [LogField.name]: name }, "deleted SpiffeID");
  }
  const deleting = await context.spiffeIds.get(namespace, name);
  if (deleting === undefined || deleting.metadata.uid !== uid) return { ok: true, summary };
  const finalized = await syncSpiffeId(context, deleting);
  addCrdSummary(summary, finalized.summary);
  if (!finalized.ok) return { ...finalized, summary };
  const remaining = await context.spiffeIds.get(namespace, name);
  return remaining?.metadata.uid === uid ? { ok: true, summary, remaining } : { ok: true, summary };
}

function describeOwner(spiffeId: SpiffeId): string {
  const owner = controllerOwner(spiffeId);
  return owner === undefined ? "none" : `${owner.kind} ${owner.name}`;
}
