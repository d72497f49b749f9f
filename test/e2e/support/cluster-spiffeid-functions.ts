/**
 * Runs the cluster-spiffeid-mode functions (`k8s-events` and `resync`) in-process on 127.0.0.1 with their
 * real dependencies, built from a configuration file by the same runtime the containers use, and (optionally)
 * the watch bridge that delivers Pod, Node, Namespace, EndpointSlice and the three custom resources' events
 * to k8s-events, as the ApiServerSources of the Knative overlay do.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createApp as createK8sEventsApp } from "../../../functions/k8s-events/app.js";
import { createApp as createResyncApp } from "../../../functions/resync/app.js";
import { type Bridge, startBridge } from "../../../lib/bridge/bridge.js";
import { CLUSTER_SPIFFEID_RESOURCES } from "../../../lib/bridge/resources.js";
import { type ServedApp, serveApp } from "../../../lib/http/serve.js";
import { createRuntime, type Runtime, scmSyncContext } from "../../../lib/runtime/runtime.js";
import type { ScmSyncContext } from "../../../lib/scm-sync/context.js";
import type { SpireClient } from "../../../lib/spire/client.js";

export interface ClusterSpiffeIdFunctionsOptions {
  /** Directory for the config file and the functions' log. */
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly cluster: string;
  /** More configuration keys (HCL JSON form), e.g. `{ entry_id_prefix: "reg" }`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Wraps the SPIRE client the functions use (e.g. to count RPCs). */
  readonly wrapSpire?: (spire: SpireClient) => SpireClient;
  /** Start the watch bridge too (default true). */
  readonly bridge?: boolean;
}

export interface ClusterSpiffeIdFunctions {
  readonly runtime: Runtime;
  readonly context: ScmSyncContext;
  /** k8s-events: POST CloudEvents here. */
  readonly eventsUrl: string;
  /** resync: POST here to run a full pass. */
  readonly resyncUrl: string;
  readonly configPath: string;
  /** POSTs to the resync and returns its JSON answer (throws unless 200). */
  resync(): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
}

export async function startClusterSpiffeIdFunctions(
  options: ClusterSpiffeIdFunctionsOptions,
): Promise<ClusterSpiffeIdFunctions> {
  const configPath = join(options.dir, "cluster-spiffeid.conf.json");
  await writeFile(
    configPath,
    JSON.stringify(
      {
        mode: "cluster-spiffeid",
        log_level: "debug",
        log_path: join(options.dir, "cluster-spiffeid.log"),
        trust_domain: options.trustDomain,
        cluster: options.cluster,
        server_socket_path: options.socketPath,
        ...options.config,
      },
      null,
      2,
    ),
  );
  const runtime = await createRuntime({
    functionName: "cluster-spiffeid",
    configPath,
    env: {},
    kubeconfigPath: options.kubeconfigPath,
  });
  const served: ServedApp[] = [];
  const bridges: Bridge[] = [];
  const stopAll = async () => {
    for (const bridge of bridges) await bridge.stop();
    await Promise.all(served.map((s) => s.close()));
    runtime.close();
  };
  try {
    const base = scmSyncContext(runtime);
    const context = options.wrapSpire ? { ...base, spire: options.wrapSpire(base.spire) } : base;
    const deps = { clusterSpiffeId: context, logger: runtime.logger, readiness: runtime.readiness };
    const events = await serveApp(createK8sEventsApp(deps), {
      port: 0,
      hostname: "127.0.0.1",
      logger: runtime.logger,
      name: "k8s-events",
    });
    served.push(events);
    const resync = await serveApp(createResyncApp({ ...deps, now: Date.now }), {
      port: 0,
      hostname: "127.0.0.1",
      logger: runtime.logger,
      name: "resync",
    });
    served.push(resync);
    const eventsUrl = `http://127.0.0.1:${events.port}/`;
    const resyncUrl = `http://127.0.0.1:${resync.port}/`;
    if (options.bridge ?? true) {
      bridges.push(
        await startBridge({
          client: runtime.kube,
          resources: CLUSTER_SPIFFEID_RESOURCES,
          sink: eventsUrl,
          // Resource mode, as the overlay's Pod source: a deleted pod's event carries its UID.
          mode: "Resource",
          logger: runtime.logger,
        }),
      );
    }
    return {
      runtime,
      context,
      eventsUrl,
      resyncUrl,
      configPath,
      async resync() {
        const response = await fetch(resyncUrl, { method: "POST" });
        const body = (await response.json()) as Record<string, unknown>;
        if (response.status !== 200)
          throw new Error(`resync answered ${response.status}: ${JSON.stringify(body)}`);
        return body;
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
