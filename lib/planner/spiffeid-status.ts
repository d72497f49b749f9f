/**
 * The status the registrar writes on a SpiffeID: the entry id it owns and a `Ready` condition saying whether
 * SPIRE has the entry as specified. A status write triggers a new SpiffeID event, so `nextStatus` returns
 * `undefined` when nothing but the time would change; that keeps the event loop finite.
 */
import type { SpiffeIdCondition, SpiffeIdStatus } from "./spiffeid.js";

export const READY_CONDITION = "Ready";

/** Why a SpiffeID is or is not ready. */
export type ReadyReason = "EntrySynced" | "SpireRejected" | "InvalidSpec";

/** The outcome of one sync, as the status reports it. */
export interface SyncOutcome {
  /** The owned entry after the sync; undefined when there is none. */
  readonly entryId: string | undefined;
  readonly reason: ReadyReason;
  readonly message: string;
}

/**
 * The status to write after a sync, or undefined when the current one already says the same. Conditions of
 * other types are kept; `lastTransitionTime` changes only when the Ready status flips.
 */
export function nextStatus(
  current: SpiffeIdStatus | undefined,
  outcome: SyncOutcome,
  generation: number | undefined,
  now: string,
): SpiffeIdStatus | undefined {
  const previous = current?.conditions?.find((condition) => condition.type === READY_CONDITION);
  const status = outcome.reason === "EntrySynced" ? "True" : "False";
  const ready: SpiffeIdCondition = {
    type: READY_CONDITION,
    status,
    reason: outcome.reason,
    message: outcome.message,
    lastTransitionTime:
      previous?.status === status && previous.lastTransitionTime ? previous.lastTransitionTime : now,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  };
  const unchanged =
    current?.entryId === outcome.entryId &&
    previous !== undefined &&
    previous.status === ready.status &&
    previous.reason === ready.reason &&
    previous.message === ready.message &&
    previous.observedGeneration === ready.observedGeneration;
  if (unchanged) return undefined;
  const others = (current?.conditions ?? []).filter((condition) => condition.type !== READY_CONDITION);
  return {
    ...(outcome.entryId === undefined ? {} : { entryId: outcome.entryId }),
    conditions: [...others, ready],
  };
}
