/**
 * When a run's spire-server wrote each pod's entry, read from the server's audit log (see
 * audit-line.ts) as the log grows: the server's own clock at each write, to the nanosecond, at no
 * cost to the server beyond writing the line. The same for every system under test.
 *
 * - A pod's entry is created at the first successful create of an entry whose selectors name the
 *   pod (`k8s:ns` and `k8s:pod-name`, or spire-controller-manager's `k8s:pod-uid`, resolved through
 *   the UIDs the benchmark recorded; a UID not known yet is resolved once it is). A reconcile-mode
 *   node entry (`k8s_psat:agent_node_name`) is recorded the same way under its `nodeKey`.
 * - Delete lines carry only the entry id, so a pod's entry is gone once every id it had in a list
 *   taken before the deletes has a successful delete line.
 * - The log is quiet when no entry write has succeeded for a while (refused writes change nothing).
 * - ListEntries lines (one per page) are counted, and those without a filter apart: a page of a list
 *   of every entry.
 *
 * Times are milliseconds since the epoch on the server's wall clock, which is this machine's: compare
 * them with `Date.now()`.
 */
import { type AuditRecord, isEntryWrite, parseAuditLine } from "./audit-line.js";
import { type FileFollower, followFile } from "./file-follower.js";
import { keyOfRef, nodeKeyOfSelectors, type PodUids, podRefOfSelectors } from "./pod-key.js";

/** What the log held, by kind of line (a batch call has one line per item). */
export interface AuditCounts {
  /** Lines of the server log read, audit or not. */
  lines: number;
  auditLines: number;
  created: number;
  createRefused: number;
  updated: number;
  updateRefused: number;
  deleted: number;
  deleteRefused: number;
  /** Audited calls that write no entry (ListEntries, CountEntries, bundle and agent calls, ...). */
  otherCalls: number;
  /** Of those, ListEntries calls (one per page). */
  listEntries: number;
  /** Of those, ListEntries calls without a filter: pages of a list of every entry. */
  listEntriesUnfiltered: number;
}

/** A wait for a set of pods to reach a state ("created", "deleted"). */
export interface Expectation {
  /** The server time each pod reached the state at, for those that have. */
  readonly reachedAt: ReadonlyMap<string, number>;
  /** Resolves with `reachedAt` once every pod has; rejects after `timeoutMs` or if the log cannot be read. */
  done(timeoutMs: number): Promise<ReadonlyMap<string, number>>;
}

export interface EntryAudit {
  /**
   * Waits for an entry to be created for every pod (or `nodeKey`) of `keys` (creates since the log
   * began count).
   */
  created(keys: readonly string[]): Expectation;
  /** Waits for every entry id of each pod of `idsByKey` (pod key -> its entries' ids) to be deleted. */
  deleted(idsByKey: ReadonlyMap<string, readonly string[]>): Expectation;
  /**
   * Resolves once the log, read up to now, shows no successful entry write for `quietMs`; rejects
   * after `timeoutMs`.
   */
  quiet(quietMs: number, timeoutMs: number): Promise<void>;
  /** Resolves once the log has been read up to now. */
  drain(): Promise<void>;
  /** The counts so far (a copy). */
  counts(): AuditCounts;
  stop(): Promise<void>;
}

/** Where an expectation learns of pods reaching its state. */
interface Observer {
  created?(key: string, atMs: number): void;
  deleted?(id: string, atMs: number): void;
  /** After every read of the log, or with the error that ended the reading. */
  afterRead(error?: unknown): void;
}

/** Counts of an audit log with no line yet. */
export function noAuditCounts(): AuditCounts {
  return {
    lines: 0,
    auditLines: 0,
    created: 0,
    createRefused: 0,
    updated: 0,
    updateRefused: 0,
    deleted: 0,
    deleteRefused: 0,
    otherCalls: 0,
    listEntries: 0,
    listEntriesUnfiltered: 0,
  };
}

/** Follows the audit log at `logPath` (JSON format) from its first line. */
export async function followEntryAudit(logPath: string, uids: PodUids): Promise<EntryAudit> {
  const counts = noAuditCounts();
  const createdByKey = new Map<string, number>();
  /** First creates of SCM's entries whose pod UID was not known yet. */
  const unresolvedUids = new Map<string, number>();
  const deletedById = new Map<string, number>();
  const observers = new Set<Observer>();
  let lastWriteAtMs = Number.NEGATIVE_INFINITY;
  let failure: unknown;

  const noteCreate = (key: string, atMs: number) => {
    if (createdByKey.has(key)) return;
    createdByKey.set(key, atMs);
    for (const observer of observers) observer.created?.(key, atMs);
  };
  const resolveUids = () => {
    for (const [uid, atMs] of unresolvedUids) {
      const key = uids.keyOf(uid);
      if (key === undefined) continue;
      unresolvedUids.delete(uid);
      noteCreate(key, atMs);
    }
  };
  const record = (audit: AuditRecord) => {
    counts.auditLines++;
    if (!isEntryWrite(audit.method)) {
      counts.otherCalls++;
      if (audit.method === "ListEntries") {
        counts.listEntries++;
        if (audit.filtered === false) counts.listEntriesUnfiltered++;
      }
      return;
    }
    if (audit.ok) lastWriteAtMs = Math.max(lastWriteAtMs, audit.atMs);
    if (audit.method === "BatchUpdateEntry") {
      if (audit.ok) counts.updated++;
      else counts.updateRefused++;
    } else if (audit.method === "BatchDeleteEntry") {
      if (!audit.ok) counts.deleteRefused++;
      else {
        counts.deleted++;
        if (audit.entryId !== undefined && !deletedById.has(audit.entryId)) {
          deletedById.set(audit.entryId, audit.atMs);
          for (const observer of observers) observer.deleted?.(audit.entryId, audit.atMs);
        }
      }
    } else if (!audit.ok) counts.createRefused++;
    else {
      counts.created++;
      const ref = podRefOfSelectors(audit.selectors);
      if (ref === undefined) {
        const node = nodeKeyOfSelectors(audit.selectors);
        if (node !== undefined) noteCreate(node, audit.atMs);
        return;
      }
      const key = keyOfRef(ref, uids);
      if (key !== undefined) noteCreate(key, audit.atMs);
      else if ("uid" in ref && !unresolvedUids.has(ref.uid)) unresolvedUids.set(ref.uid, audit.atMs);
    }
  };

  const follower: FileFollower = await followFile(logPath, {
    onLines(lines) {
      counts.lines += lines.length;
      for (const line of lines) {
        const audit = parseAuditLine(line);
        if (audit !== undefined) record(audit);
      }
    },
    onRead() {
      resolveUids();
      for (const observer of observers) observer.afterRead();
    },
    onError(error) {
      failure = error;
      for (const observer of observers) observer.afterRead(error);
    },
  });

  /**
   * An expectation over `pending` pods, observing the log from now on (whether or not anyone waits
   * yet); `observer` moves pods from `pending` to `reachedAt`.
   */
  const expectation = (
    pending: Set<string>,
    reachedAt: Map<string, number>,
    observer: Omit<Observer, "afterRead">,
    what: () => string,
  ): Expectation => {
    let waiter: ((error?: Error) => void) | undefined;
    const watching: Observer = {
      ...observer,
      afterRead(error) {
        if (error !== undefined) waiter?.(unreadable(error));
        else if (pending.size === 0) waiter?.();
      },
    };
    observers.add(watching);
    return {
      reachedAt,
      done(timeoutMs) {
        return new Promise((resolve, reject) => {
          const settle = (error?: Error) => {
            clearTimeout(timer);
            waiter = undefined;
            observers.delete(watching);
            if (error === undefined) resolve(reachedAt);
            else reject(error);
          };
          const timer = setTimeout(
            () =>
              settle(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what()}`)),
            timeoutMs,
          );
          waiter = settle;
          if (failure !== undefined) settle(unreadable(failure));
          else if (pending.size === 0) settle();
        });
      },
    };
  };

  return {
    created(keys) {
      const pending = new Set(keys);
      const reachedAt = new Map<string, number>();
      const observer = {
        created(key: string, atMs: number) {
          if (pending.delete(key)) reachedAt.set(key, atMs);
        },
      };
      for (const key of keys) {
        const atMs = createdByKey.get(key);
        if (atMs !== undefined) observer.created(key, atMs);
      }
      return expectation(pending, reachedAt, observer, () =>
        describe(keys.length, reachedAt.size, "created", counts),
      );
    },
    deleted(idsByKey) {
      const pending = new Set(idsByKey.keys());
      const reachedAt = new Map<string, number>();
      const keyById = new Map<string, string>();
      /** Per pending pod: its ids not deleted yet, and the latest delete so far. */
      const left = new Map<string, { ids: Set<string>; lastAtMs: number }>();
      for (const [key, ids] of idsByKey) {
        if (ids.length === 0) throw new Error(`pod ${key} has no entry to wait for the deletion of`);
        left.set(key, { ids: new Set(ids), lastAtMs: Number.NEGATIVE_INFINITY });
        for (const id of ids) keyById.set(id, key);
      }
      const observer = {
        deleted(id: string, atMs: number) {
          const key = keyById.get(id);
          const pod = key === undefined ? undefined : left.get(key);
          if (key === undefined || pod === undefined || !pod.ids.delete(id)) return;
          pod.lastAtMs = Math.max(pod.lastAtMs, atMs);
          if (pod.ids.size > 0) return;
          pending.delete(key);
          left.delete(key);
          reachedAt.set(key, pod.lastAtMs);
        },
      };
      for (const [id, atMs] of deletedById) observer.deleted(id, atMs);
      return expectation(pending, reachedAt, observer, () =>
        describe(idsByKey.size, idsByKey.size - pending.size, "deleted", counts),
      );
    },
    async quiet(quietMs, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await follower.drain();
        const quietFor = Date.now() - lastWriteAtMs;
        if (quietFor >= quietMs) return;
        if (Date.now() >= deadline)
          throw new Error(
            `timed out after ${Math.round(timeoutMs / 1000)} s waiting for no entry write for ${quietMs} ms`,
          );
        await new Promise((resolve) =>
          setTimeout(resolve, Math.min(quietMs - quietFor, deadline - Date.now()) + 1),
        );
      }
    },
    drain: () => follower.drain(),
    counts: () => ({ ...counts }),
    async stop() {
      await follower.stop();
      observers.clear();
    },
  };
}

function unreadable(error: unknown): Error {
  return new Error(
    `the spire-server log could not be read: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}

function describe(total: number, reached: number, state: string, counts: AuditCounts): string {
  const hint = counts.auditLines === 0 ? " (no audit line in the log at all: is audit_log_enabled set?)" : "";
  return `${total} pod entries to be ${state} (${reached} are; ${counts.auditLines} audit lines read)${hint}`;
}
