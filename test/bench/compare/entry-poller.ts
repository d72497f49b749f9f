/**
 * Watches a spire-server's entries the same way for every system under test: one full ListEntries
 * (pages of 1,000, through the project's SpireClient on the admin socket) at a time. Each list is a
 * snapshot stamped with the time it returned; a pod's entry "appears" at the first snapshot that has
 * it and "disappears" at the first that no longer has it, so the resolution is one poll cycle.
 *
 * Listing is not free for the server: spire-server 1.13.3 (sqlite) spends about `costPerEntryUs`
 * (45 µs on the 2-core build machine) of CPU per entry listed, so back-to-back lists of 2,000
 * entries would keep most of a core busy and slow every system down. The next list therefore
 * starts no earlier than `intervalMs` after the previous one returned, and no earlier than the
 * previous list's estimated server CPU (entries x cost) divided by `budget` after it started: the
 * poller's share of one core stays near `budget` whatever the system does. (A rule on the list's
 * wall time instead would slow the polls down exactly when the server is busy writing.)
 */
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { Entry } from "../../../lib/planner/entry.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { type PodUids, podKeyOfEntry } from "./pod-key.js";
import { max, median } from "./stats.js";

/** One full list of the server's entries. */
export interface Snapshot {
  readonly entries: readonly Entry[];
  /** performance.now() when the list returned. */
  readonly at: number;
  /** Time since the previous snapshot: how late a change seen first here may be noticed. */
  readonly sincePreviousMs: number;
  /** Keys of the pods that have an entry. */
  readonly podKeys: ReadonlySet<string>;
  /** Changes whenever an entry is created, updated or deleted. */
  readonly fingerprint: string;
}

/** A wait for a set of pods to have an entry ("present") or none ("absent"). */
export interface Expectation {
  /** When each pod reached the state (performance.now()), for those that have. */
  readonly reachedAt: ReadonlyMap<string, number>;
  /** `sincePreviousMs` of the snapshot in which the last pod reached the state (once done). */
  readonly resolutionMs: number | undefined;
  /** Resolves with `reachedAt` once every pod is in the state; rejects after `timeoutMs`. */
  done(timeoutMs: number): Promise<ReadonlyMap<string, number>>;
}

export interface PollStats {
  polls: number;
  failedPolls: number;
  medianListMs: number;
  maxListMs: number;
  /** From the start of one list to the start of the next: the resolution of the times. */
  medianCycleMs: number;
}

export interface EntryPoller {
  expect(keys: readonly string[], state: "present" | "absent"): Expectation;
  /**
   * Resolves with the latest snapshot once no entry has changed for `quietMs` (a system still
   * adding DNS names is not done); rejects after `timeoutMs`.
   */
  quiet(quietMs: number, timeoutMs: number): Promise<Snapshot>;
  latest(): Snapshot | undefined;
  stats(): PollStats;
  stop(): Promise<void>;
}

export interface EntryPollerOptions {
  readonly socketPath: string;
  readonly uids: PodUids;
  /** Least pause between the end of one list and the start of the next (default 25 ms). */
  readonly intervalMs?: number;
  /** Largest share of one core the lists may cost spire-server (default 0.25). */
  readonly budget?: number;
  /** spire-server CPU per entry listed, in microseconds (default 45). */
  readonly costPerEntryUs?: number;
}

export function startEntryPoller(options: EntryPollerOptions): EntryPoller {
  const intervalMs = options.intervalMs ?? 25;
  const budget = options.budget ?? 0.25;
  const costPerEntryMs = (options.costPerEntryUs ?? 45) / 1000;
  const client: SpireClient = createSpireClient({
    transport: createUnixSocketTransport(options.socketPath),
    logger: pino({ level: "silent" }),
    timeoutMs: 60_000,
    retry: { maxAttempts: 1 },
  });
  const listeners = new Set<(snapshot: Snapshot) => void>();
  const listMs: number[] = [];
  const cycleMs: number[] = [];
  let previousStart: number | undefined;
  let failedPolls = 0;
  let latest: Snapshot | undefined;
  let unchangedSince = 0;
  let stopped = false;

  const loop = (async () => {
    while (!stopped) {
      const started = performance.now();
      if (previousStart !== undefined) cycleMs.push(started - previousStart);
      previousStart = started;
      const listed = await client.listEntries();
      const at = performance.now();
      if (listed.ok) {
        listMs.push(at - started);
        const snapshot = snapshotOf(listed.value, at, at - (latest?.at ?? started), options.uids);
        if (snapshot.fingerprint !== latest?.fingerprint) unchangedSince = at;
        latest = snapshot;
        for (const listener of listeners) listener(snapshot);
      } else {
        failedPolls++;
      }
      const entries = listed.ok ? listed.value.length : (latest?.entries.length ?? 0);
      const nextStart = Math.max(at + intervalMs, started + (entries * costPerEntryMs) / budget);
      await new Promise((resolve) => setTimeout(resolve, nextStart - performance.now()));
    }
  })();

  /** Calls `check` on every snapshot until it returns true; rejects after `timeoutMs`. */
  const until = (check: (snapshot: Snapshot) => boolean, timeoutMs: number, what: () => string) =>
    new Promise<void>((resolve, reject) => {
      const listener = (snapshot: Snapshot) => {
        if (!check(snapshot)) return;
        finish();
        resolve();
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what()}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      listeners.add(listener);
      if (latest) listener(latest);
    });

  return {
    expect(keys, state) {
      const pending = new Set(keys);
      const reachedAt = new Map<string, number>();
      let resolutionMs: number | undefined;
      const observe = (snapshot: Snapshot) => {
        if (pending.size === 0) return;
        for (const key of pending) {
          if (snapshot.podKeys.has(key) === (state === "present")) {
            reachedAt.set(key, snapshot.at);
            pending.delete(key);
          }
        }
        if (pending.size === 0) resolutionMs = snapshot.sincePreviousMs;
      };
      listeners.add(observe);
      return {
        reachedAt,
        get resolutionMs() {
          return resolutionMs;
        },
        async done(timeoutMs) {
          try {
            await until(
              () => pending.size === 0,
              timeoutMs,
              () => `${keys.length} pod entries to be ${state} (${reachedAt.size} are)`,
            );
          } finally {
            listeners.delete(observe);
          }
          return reachedAt;
        },
      };
    },
    async quiet(quietMs, timeoutMs) {
      await until(
        (snapshot) => snapshot.at - unchangedSince >= quietMs,
        timeoutMs,
        () => `no entry change for ${quietMs} ms`,
      );
      return latest as Snapshot;
    },
    latest: () => latest,
    stats() {
      return {
        polls: listMs.length,
        failedPolls,
        medianListMs: median(listMs),
        maxListMs: max(listMs),
        medianCycleMs: median(cycleMs),
      };
    },
    async stop() {
      stopped = true;
      await loop;
      client.close();
    },
  };
}

function snapshotOf(entries: readonly Entry[], at: number, sincePreviousMs: number, uids: PodUids): Snapshot {
  const podKeys = new Set<string>();
  let sum = 0;
  for (const entry of entries) {
    const key = podKeyOfEntry(entry, uids);
    if (key !== undefined) podKeys.add(key);
    sum = (sum + hash32(`${entry.id}@${entry.revisionNumber ?? 0n}`)) >>> 0;
  }
  return { entries, at, sincePreviousMs, podKeys, fingerprint: `${entries.length}:${sum}` };
}

/** FNV-1a over the UTF-16 code units: cheap, and good enough to notice a changed entry set. */
function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
