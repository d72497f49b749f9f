/**
 * `registrar serve`: the configured mode's functions in one process, for a plain Deployment or a
 * laptop. The HTTP functions are mounted on one listener (`/events`, `/spiffeid-events`,
 * `/resync`, plus `/healthz`, `/readyz`, `/metrics`): the process listens there and on the admission
 * webhooks' TLS addresses, nowhere else (`metrics_addr` only turns /metrics off with "0"). With `watch`, a bridge watches the API server and delivers ApiServerSource-format
 * events to the mounted functions, and a timer runs the resync (once at start, then periodically),
 * which is what Knative's ApiServerSource and PingSource do in a cluster.
 *
 * Each function, webhook and the bridge is imported only when the mode's plan (or `watch`) uses
 * it, so a process loads what it serves and no more (see README "Start-up cost").
 */
import { Hono } from "hono";
import type { Bridge } from "../../lib/bridge/bridge.js";
import { createWatchCache, type WatchFeed } from "../../lib/bridge/watch-cache.js";
import { type EventHandler, recordHeaders } from "../../lib/events/event-endpoint.js";
import { addHealthRoutes } from "../../lib/http/health.js";
import { type ServedApp, serveApp } from "../../lib/http/serve.js";
import { addMetricsRoute } from "../../lib/metrics/routes.js";
import { DRAIN_TIMEOUT_MS } from "../../lib/runtime/main.js";
import { type ClusterReads, type Runtime, withClusterReads } from "../../lib/runtime/runtime.js";
import { type HttpFunction, MOUNT_PATH, planServing } from "./plan-serving.js";

export interface ServeOptions {
  readonly runtime: Runtime;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The HTTP listener, e.g. `{ port: 8080 }` or `{ hostname: "127.0.0.1", port: 0 }`. */
  readonly listen: { readonly hostname?: string; readonly port: number };
  readonly watch: boolean;
  /** With `watch`: time between resyncs; 0 runs only the start-up resync. */
  readonly resyncIntervalMs: number;
}

export interface Serving {
  /** `http://127.0.0.1:<port>` of the HTTP listener. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Events handed to the in-process functions at once. Deliveries are cheap promises, and the functions
 * merge the events of one object and batch the rest, so a burst is taken in whole, not 8 at a time.
 */
const IN_PROCESS_CONCURRENCY = 256;

/** The watch cache of the runtime's mode, and the runtime's reads through it. */
async function createCache(runtime: Runtime): Promise<{ feed: WatchFeed; reads: ClusterReads }> {
  if (runtime.config.mode === "cluster-spiffeid") {
    const { createScmWatchCache } = await import("../../lib/scm-sync/watch-cache.js");
    const cache = createScmWatchCache();
    return { feed: cache, reads: { scmCluster: cache.reads(runtime.scmCluster) } };
  }
  const cache = createWatchCache();
  return { feed: cache, reads: { cluster: cache.reader(runtime.cluster) } };
}

export async function startServing(options: ServeOptions): Promise<Serving> {
  const { env } = options;
  const { config, logger } = options.runtime;
  const plan = planServing(config);
  // With --watch, the handlers' re-reads of the objects the bridge watches come from its watches.
  const cache = options.watch && plan.watches.length > 0 ? await createCache(options.runtime) : undefined;
  const runtime = cache ? withClusterReads(options.runtime, cache.reads) : options.runtime;
  const builders: Record<HttpFunction, () => Promise<{ app: Hono; handler?: EventHandler }>> = {
    "k8s-events": async () =>
      (await import("../../functions/k8s-events/wire.js")).k8sEventsFunction(runtime, env),
    "spiffeid-events": async () =>
      (await import("../../functions/spiffeid-events/wire.js")).spiffeIdEventsFunction(runtime, env),
    resync: async () => ({ app: (await import("../../functions/resync/wire.js")).resyncApp(runtime, env) }),
  };
  const root = new Hono();
  addHealthRoutes(root, runtime.readiness);
  addMetricsRoute(root, runtime.metrics);
  const handlers = new Map<HttpFunction, EventHandler>();
  for (const name of plan.http) {
    const built = await builders[name]();
    root.route(MOUNT_PATH[name], built.app);
    if (built.handler) handlers.set(name, built.handler);
  }

  const servers: ServedApp[] = [];
  const bridges: Bridge[] = [];
  let timer: NodeJS.Timeout | undefined;
  const stop = async () => {
    if (timer) clearInterval(timer);
    await Promise.all(bridges.map((bridge) => bridge.stop()));
    await Promise.all(servers.map((server) => server.close()));
    await Promise.all([...handlers.values()].map((handler) => handler.drain(DRAIN_TIMEOUT_MS)));
  };
  try {
    const http = await serveApp(root, {
      ...options.listen,
      logger,
      name: "registrar serve",
      limits: { maxBodyBytes: config.maxRequestBytes },
    });
    servers.push(http);
    if (plan.tls.includes("pod-admission")) {
      const { startPodAdmission } = await import("../../functions/pod-admission/start.js");
      servers.push(...(await startPodAdmission(runtime)));
    }
    if (plan.tls.includes("cluster-spiffeid-validation")) {
      const { startClusterSpiffeIdValidation } = await import(
        "../../functions/cluster-spiffeid-validation/start.js"
      );
      servers.push(...(await startClusterSpiffeIdValidation(runtime, env)));
    }
    if (plan.tls.includes("spiffeid-validation")) {
      const { startSpiffeIdValidation } = await import("../../functions/spiffeid-validation/start.js");
      servers.push(...(await startSpiffeIdValidation(runtime, env)));
    }

    const url = `http://127.0.0.1:${http.port}`;
    if (options.watch) {
      const { startBridge } = await import("../../lib/bridge/bridge.js");
      for (const watch of plan.watches) {
        const handler = handlers.get(watch.to);
        if (!handler) throw new Error(`serve: no event handler for ${watch.to}`);
        bridges.push(
          await startBridge({
            client: runtime.kube,
            resources: watch.resources,
            sink: `${url}${MOUNT_PATH[watch.to]}`,
            // The functions run in this process: events go to their handlers without an HTTP hop.
            post: async (event) =>
              (await handler.handle({ headers: recordHeaders(event.headers), body: event.body })).status,
            concurrency: IN_PROCESS_CONCURRENCY,
            ...(watch.eventMode ? { mode: watch.eventMode } : {}),
            logger,
            ...(cache ? { cache: cache.feed } : {}),
          }),
        );
      }
      const runResync = async () => {
        const response = await root.request(MOUNT_PATH.resync, { method: "POST" });
        if (response.status >= 300)
          logger.warn({ status: response.status }, "resync did not finish; the next one retries");
      };
      await runResync();
      if (options.resyncIntervalMs > 0) {
        timer = setInterval(
          () => void runResync().catch((error: unknown) => logger.error({ err: error }, "resync")),
          options.resyncIntervalMs,
        );
      }
    }
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
