/**
 * Keeps one collection watched, like a client-go reflector: list (paged) to get a resourceVersion,
 * watch from it, re-watch from the last seen version when the server ends the stream, back off
 * (doubling, capped) after errors, and list again when the version has expired (410 Gone).
 * Like the Knative adapter, a list reports nothing by itself (its store's Replace is a no-op), so
 * objects that exist at start, and changes made during a gap that ends in a relist, produce no
 * events; `emitInitial` reports the first list as adds instead.
 */
import type { Logger } from "pino";
import { KubeApiError } from "../k8s/errors.js";
import type { KubeClient, WatchHandle } from "../k8s/kube-client.js";
import { LogField } from "../log/log-fields.js";
import { reasonOf } from "../log/reason.js";
import type { WatchedResource } from "./resources.js";
import type { ChangeAction, KubeObjectJson } from "./to-cloudevent.js";

export interface ResourceWatchOptions {
  readonly client: KubeClient;
  readonly resource: WatchedResource;
  readonly logger: Logger;
  /** Called for every change, in the order the watch reports them. */
  readonly onChange: (action: ChangeAction, object: KubeObjectJson) => void;
  /**
   * Called as each list starts (the first, and each relist): the consumer gets the list's pages as
   * they arrive, then `done()` once the list is whole, before any later change. A list that fails
   * part-way never gets `done()`; the list after it gets a new consumer.
   */
  readonly onList?: () => ListConsumer;
  /**
   * Report the objects of the first list as adds (default false, as the adapter), each page's as it
   * arrives (after the consumer's `page`). A first list that fails part-way and is read again reports
   * its first pages again.
   */
  readonly emitInitial?: boolean;
  readonly pageSize?: number;
  /** First delay after an error (default 500 ms), doubling up to `maxBackoffMs` (default 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

/** Takes one list of a collection page by page. */
export interface ListConsumer {
  /** The next page's objects, as the page arrives. */
  page(items: readonly KubeObjectJson[]): void;
  /** The list is whole. */
  done(): void;
}

export interface ResourceWatch {
  /** Resolves once the first list is done and the first watch is open (retries until then). */
  readonly ready: Promise<void>;
  /** Lists done so far (1 after start; more after 410 Gone). */
  readonly lists: () => number;
  stop(): void;
}

const WATCH_EVENT_ACTIONS: Readonly<Record<string, ChangeAction>> = {
  ADDED: "add",
  MODIFIED: "update",
  DELETED: "delete",
};

/**
 * The API server ends a watch after this long and the watch is opened again from the last version
 * seen (as client-go's reflector does), so a connection that died silently is noticed.
 */
const WATCH_TIMEOUT_SECONDS = 300;
/** Client-side limit of one watch: the server's timeout plus a margin. */
const WATCH_DEADLINE_MS = (WATCH_TIMEOUT_SECONDS + 60) * 1000;

export function watchResource(options: ResourceWatchOptions): ResourceWatch {
  const { client, resource } = options;
  const logger = options.logger.child({ [LogField.kind]: resource.kind });
  const pageSize = options.pageSize ?? 500;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let resourceVersion: string | undefined;
  let stopped = false;
  let lists = 0;
  let failures = 0;
  /** Bumped for every new watch; events and endings of older watches are ignored. */
  let generation = 0;
  let watch: WatchHandle | undefined;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  /** Lists page by page: each page goes to the list's consumer (and, with `emit`, out as adds) as it arrives. */
  async function list(emit: boolean): Promise<void> {
    const consumer = options.onList?.();
    const listedVersion = await client.listPages<KubeObjectJson>(
      { verb: "list", resource: resource.name },
      resource.path,
      (items) => {
        consumer?.page(items);
        if (!emit) return;
        for (const item of items) {
          options.onChange("add", { apiVersion: resource.apiVersion, kind: resource.kind, ...item });
        }
      },
      { pageSize },
    );
    lists++;
    resourceVersion = listedVersion;
    consumer?.done();
  }

  /** Ends the current watch and runs the next cycle after `delayMs`. */
  function restart(delayMs: number, relist: boolean): void {
    generation++;
    watch?.abort();
    watch = undefined;
    schedule(delayMs, relist);
  }

  function backoffDelay(): number {
    failures++;
    return Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1));
  }

  async function cycle(relist: boolean, emit: boolean): Promise<void> {
    if (stopped) return;
    const current = ++generation;
    try {
      if (relist || resourceVersion === undefined) await list(emit);
      const opened = await client.watch({
        call: { verb: "watch", resource: resource.name },
        path: resource.path,
        query: { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: WATCH_TIMEOUT_SECONDS },
        deadlineMs: WATCH_DEADLINE_MS,
        onEvent: (type, value) => {
          if (stopped || current !== generation) return;
          const object = value as KubeObjectJson & { code?: number };
          if (type === "ERROR") {
            if (object.code === 410) {
              logger.info("watch resourceVersion expired (410 Gone): listing again");
              restart(0, true);
            } else {
              const delay = backoffDelay();
              logger.warn(
                { status: object, delay_ms: delay },
                "watch reported an error: watching again after a backoff",
              );
              restart(delay, false);
            }
            return;
          }
          const version = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
          if (version) resourceVersion = version;
          failures = 0;
          const action = WATCH_EVENT_ACTIONS[type];
          if (action) options.onChange(action, object);
        },
        onDone: (error) => {
          if (stopped || current !== generation) return;
          if (error) {
            const delay = backoffDelay();
            logger.warn(
              { [LogField.reason]: reasonOf(error), delay_ms: delay },
              "watch failed: watching again after a backoff",
            );
            restart(delay, false);
          } else {
            // The server ended the stream (its timeout): carry on from the last version.
            restart(0, false);
          }
        },
      });
      if (stopped || current !== generation) opened.abort();
      else watch = opened;
      markReady();
    } catch (error) {
      if (stopped) return;
      const delay = backoffDelay();
      const expired = error instanceof KubeApiError && error.status === 410;
      logger.warn(
        { [LogField.reason]: reasonOf(error), delay_ms: delay },
        "list failed: trying again after a backoff",
      );
      schedule(delay, relist || expired, emit);
    }
  }

  function schedule(delayMs: number, relist: boolean, emit = false): void {
    if (stopped) return;
    clearTimeout(timer);
    timer = setTimeout(() => void cycle(relist, emit), delayMs);
  }

  void cycle(true, options.emitInitial ?? false);

  return {
    ready,
    lists: () => lists,
    stop() {
      stopped = true;
      clearTimeout(timer);
      watch?.abort();
      markReady();
    },
  };
}
