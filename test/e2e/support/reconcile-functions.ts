/**
 * Runs the reconcile-mode functions (`k8s-events` and `resync`) in-process on 127.0.0.1 with their
 * real dependencies, built from a configuration file by the same runtime the containers use: the
 * cluster reader over a kubeconfig and the SPIRE client over the server's admin socket.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { createApp as createK8sEventsApp } from "../../../functions/k8s-events/app.js";
import { createApp as createResyncApp } from "../../../functions/resync/app.js";
import { type ServedApp, serveApp } from "../../../lib/http/serve.js";
import { createRuntime, type Runtime, reconcileContext, resyncLease } from "../../../lib/runtime/runtime.js";
import type { SpireClient } from "../../../lib/spire/client.js";

export interface ReconcileFunctionsOptions {
  /** Directory for the config file and the functions' log. */
  readonly dir: string;
  /** Distinguishes several instances' files in one dir. */
  readonly name: string;
  readonly kubeconfigPath: string;
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly cluster: string;
  /** More configuration keys (HCL JSON form), e.g. `{ pod_label: "spiffe.io/spiffe-id" }`. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Wraps the SPIRE client the functions use (e.g. to count or hold RPCs). */
  readonly wrapSpire?: (spire: SpireClient) => SpireClient;
}

export interface ReconcileFunctions {
  readonly runtime: Runtime;
  /** The SPIRE client the functions use (unwrapped), for assertions. */
  readonly spire: SpireClient;
  /** k8s-events: POST CloudEvents here. */
  readonly eventsUrl: string;
  /** resync: POST here to run a full resync. */
  readonly resyncUrl: string;
  readonly configPath: string;
  stop(): Promise<void>;
}

export async function startReconcileFunctions(
  options: ReconcileFunctionsOptions,
): Promise<ReconcileFunctions> {
  const configPath = join(options.dir, `${options.name}.conf.json`);
  await writeFile(
    configPath,
    JSON.stringify(
      {
        mode: "reconcile",
        log_level: "debug",
        log_path: join(options.dir, `${options.name}.log`),
        trust_domain: options.trustDomain,
        cluster: options.cluster,
        server_socket_path: options.socketPath,
        add_pod_dns_names: true,
        ...options.config,
      },
      null,
      2,
    ),
  );
  const runtime = await createRuntime({
    functionName: options.name,
    configPath,
    env: {},
    kubeconfigPath: options.kubeconfigPath,
  });
  const served: ServedApp[] = [];
  try {
    const base = reconcileContext(runtime);
    const reconcile = options.wrapSpire ? { ...base, spire: options.wrapSpire(base.spire) } : base;
    const events = await serveApp(
      createK8sEventsApp({ reconcile, logger: runtime.logger, readiness: runtime.readiness }),
      { port: 0, hostname: "127.0.0.1", logger: runtime.logger, name: "k8s-events" },
    );
    served.push(events);
    const resync = await serveApp(
      createResyncApp({
        reconcile,
        logger: runtime.logger,
        readiness: runtime.readiness,
        now: Date.now,
        lease: resyncLease(runtime, {}),
      }),
      { port: 0, hostname: "127.0.0.1", logger: runtime.logger, name: "resync" },
    );
    served.push(resync);
    return {
      runtime,
      spire: runtime.spire,
      eventsUrl: `http://127.0.0.1:${events.port}/`,
      resyncUrl: `http://127.0.0.1:${resync.port}/`,
      configPath,
      async stop() {
        await Promise.all(served.map((s) => s.close()));
        runtime.close();
      },
    };
  } catch (error) {
    await Promise.all(served.map((s) => s.close()));
    runtime.close();
    throw error;
  }
}
