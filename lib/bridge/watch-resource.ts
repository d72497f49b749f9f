/**
 * Keeps one collection watched, like a client-go reflector: list (paged) to get a resourceVersion,
 * watch from it, re-watch from the last seen version when the server ends the stream, back off
 * (doubling, capped) after errors, and list again when the version has expired (410 Gone).
 * Like the Knative adapter, a list reports nothing by itself (its store's Replace is a no-op), so
 * objects that exist at start, and changes made during a gap that ends in a relist, produce no
 * events; `emitInitial` reports the first list as adds instead.
 */
import { type KubeConfig, Watch } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { getJson, KubeHttpError } from "./get-json.js";
import type { WatchedResource } from "./resources.js";
import type { ChangeAction, KubeObjectJson } from "./to-cloudevent.js";

export interface ResourceWatchOptions {
  readonly kubeConfig: KubeConfig;
  readonly resource: WatchedResource;
  readonly logger: Logger;
  /** Called for every change, in the order the watch reports them. */
  readonly onChange: (action: ChangeAction, object: KubeObjectJson) => void;
  /** Report the objects of the first list as adds (default false, as the adapter). */
  readonly emitInitial?: boolean;
  readonly pageSize?: number;
  /** First delay after an error (default 500 ms), doubling up to `maxBackoffMs` (default 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
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

interface ListJson {
  items?: KubeObjectJson[];
  metadata?: { resourceVersion?: string; continue?: string };
}

export function watchResource(options: ResourceWatchOptions): ResourceWatch {
  const { kubeConfig, resource } = options;
  const logger = options.logger.child({ [LogField.kind]: resource.kind });
  const pageSize = options.pageSize ?? 500;
  const initialBackoffMs = options.initialBackoffMs ?? 500;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  let resourceVersion: string | undefined;
  let stopped = false;
  let lists = 0;
  let failures = 0;
  let generation = 0;
  let controller: AbortController | undefined;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });

  async function list(emit: boolean): Promise<void> {
    const items: KubeObjectJson[] = [];
    let continueToken: string | undefined;
    let version: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(pageSize) });
      if (continueToken) query.set("continue", continueToken);
      const page = (await getJson(kubeConfig, `${resource.path}?${query}`)) as ListJson;
      for (const item of page.items ?? []) items.push(item);
      version = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    lists++;
    resourceVersion = version;
    if (!emit) return;
    for (const item of items) {
      options.onChange("add", { apiVersion: resource.apiVersion, kind: resource.kind, ...item });
    }
  }

  async function cycle(relist: boolean, emit: boolean): Promise<void> {
    if (stopped) return;
    const current = ++generation;
    try {
      if (relist || resourceVersion === undefined) await list(emit);
      let gone = false;
      let reportedError = false;
      const opened = await new Watch(kubeConfig).watch(
        resource.path,
        { resourceVersion, allowWatchBookmarks: true },
        (type: string, object: KubeObjectJson & { code?: number }) => {
          if (stopped || current !== generation) return;
          const version = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
          if (type === "ERROR") {
            gone = object.code === 410;
            reportedError = !gone;
            if (reportedError) logger.warn({ status: object }, "watch reported an error");
            controller?.abort();
            return;
          }
          if (version) resourceVersion = version;
          failures = 0;
          const action = WATCH_EVENT_ACTIONS[type];
          if (action) options.onChange(action, object);
        },
        (error: unknown) => {
          if (stopped || current !== generation) return;
          const status = (error as { statusCode?: number } | null)?.statusCode;
          if (gone || status === 410) {
            logger.info("watch resourceVersion expired (410 Gone): listing again");
            schedule(0, true);
          } else if (reportedError || (error && !isAbort(error))) {
            failures++;
            const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1));
            logger.warn(
              { [LogField.error]: error, delay_ms: delay },
              "watch failed: watching again after a backoff",
            );
            schedule(delay, false);
          } else {
            // The server ended the stream (its request timeout): carry on from the last version.
            schedule(0, false);
          }
        },
      );
      if (current === generation) controller = opened;
      if (stopped) opened.abort();
      markReady();
    } catch (error) {
      if (stopped) return;
      failures++;
      const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** (failures - 1));
      const expired = error instanceof KubeHttpError && error.status === 410;
      logger.warn({ [LogField.error]: error, delay_ms: delay }, "list failed: trying again after a backoff");
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
      controller?.abort();
      markReady();
    },
  };
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "AbortSignal");
}
