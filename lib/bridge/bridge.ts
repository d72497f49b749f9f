/**
 * The event bridge: a stand-in for a Knative ApiServerSource outside Knative (`registrar serve
 * --watch`, end-to-end tests). It watches Kubernetes collections and POSTs each change to a sink as
 * the CloudEvent the ApiServerSource adapter would send. Like the adapter it is a best-effort hint
 * stream: nothing for objects that exist at start (unless `initialAdds`), nothing for changes lost
 * in a watch gap, a few retries per event; the `resync` function repairs the rest.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import type { KubeClient } from "../k8s/kube-client.js";
import { LogField } from "../log/log-fields.js";
import type { ResourceName } from "./resources.js";
import { WATCHED_RESOURCES } from "./resources.js";
import { createSink, type Delivery } from "./sink.js";
import { type EventMode, type OutgoingEvent, toCloudEvent } from "./to-cloudevent.js";
import type { WatchFeed } from "./watch-cache.js";
import { type ResourceWatch, watchResource } from "./watch-resource.js";

export interface BridgeOptions {
  /** The API server client; the bridge shares its connection pools and does not close it. */
  readonly client: KubeClient;
  /** Collections to watch, e.g. ["pods", "nodes", "endpointslices"]. */
  readonly resources: readonly ResourceName[];
  /** The URL events are POSTed to. */
  readonly sink: string;
  /** Delivers an event in-process instead (see SinkOptions.post); `sink` then only names it in logs. */
  readonly post?: (event: OutgoingEvent) => Promise<number>;
  /** Kept up to date from the watches, each change before its event is delivered. */
  readonly cache?: WatchFeed;
  /** Reference (default, as ApiServerSource) or Resource. */
  readonly mode?: EventMode;
  readonly logger: Logger;
  /** Send adds for the objects the first list finds (the adapter does not). */
  readonly initialAdds?: boolean;
  /** Events POSTed at once (default 8). */
  readonly concurrency?: number;
  /** Retries per event after the first attempt (default 5) and the first backoff (default 50 ms). */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /**
   * How many of the latest deliveries `delivered` keeps at least (default 10,000). It is trimmed back to
   * that many once it holds twice as many, so a trim moves the array once per `keepDelivered` events.
   */
  readonly keepDelivered?: number;
  /** The event source attribute (default: the API server URL, as the adapter). */
  readonly source?: string;
  /** Watch restart backoff (default 500 ms doubling to 30 s). */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export interface Bridge {
  /**
   * The latest deliveries, oldest first (successful or not), for inspection and replay: the last
   * `keepDelivered` at least (all of them before that many), up to twice as many between trims.
   */
  readonly delivered: readonly Delivery[];
  /** Resolves when every event seen so far has been delivered or given up on. */
  idle(): Promise<void>;
  /** Stops watching, drops events not yet sent, waits for requests in flight. */
  stop(): Promise<void>;
}

/** Starts watching; resolves once every collection is listed and its watch is open. */
export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const mode = options.mode ?? "Reference";
  const source = options.source ?? options.client.server;
  const keep = options.keepDelivered ?? 10_000;
  const { cache } = options;
  const logger = options.logger.child({ [LogField.component]: "bridge" });
  const delivered: Delivery[] = [];
  const sink = createSink({
    url: options.sink,
    ...(options.post ? { post: options.post } : {}),
    logger,
    concurrency: options.concurrency,
    retries: options.retries,
    baseDelayMs: options.retryDelayMs,
  });
  const watches: ResourceWatch[] = options.resources.map((name) =>
    watchResource({
      client: options.client,
      resource: WATCHED_RESOURCES[name],
      logger,
      emitInitial: options.initialAdds ?? false,
      initialBackoffMs: options.initialBackoffMs,
      maxBackoffMs: options.maxBackoffMs,
      ...(cache ? { onList: () => cache.startList(name) } : {}),
      onChange: (action, object) => {
        cache?.apply(name, action, object);
        const event = toCloudEvent(action, object, { mode, source, id: randomUUID() });
        void sink.send(event).then((delivery) => {
          delivered.push(delivery);
          if (delivered.length > 2 * keep) delivered.splice(0, delivered.length - keep);
        });
      },
    }),
  );
  await Promise.all(watches.map((watch) => watch.ready));
  logger.info(
    { [LogField.address]: options.sink, resources: options.resources, [LogField.eventMode]: mode },
    "bridge watching",
  );
  return {
    delivered,
    idle: () => sink.idle(),
    async stop() {
      for (const watch of watches) watch.stop();
      await sink.close();
    },
  };
}
