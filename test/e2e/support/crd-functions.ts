/**
 * Runs the crd-mode functions in-process on 127.0.0.1 with their real dependencies, built from a
 * configuration file by the same runtime the containers use: `k8s-events` (pods, nodes, EndpointSlices ->
 * SpiffeIDs), `spiffeid-events` (SpiffeID -> SPIRE), `resync`, and the `spiffeid-validation` webhook
 * over HTTPS. The webhook serves the `tls.crt`/`tls.key` the caller put in `webhookCertDir` (the
 * directory is treated as a mounted, read-only Secret: running as root, a real write probe would
 * always succeed and mint from SPIRE instead).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { createApp as createK8sEventsApp } from "../../../functions/k8s-events/app.js";
import { createApp as createResyncApp } from "../../../functions/resync/app.js";
import { createApp as createSpiffeIdEventsApp } from "../../../functions/spiffeid-events/app.js";
import { SPIFFEID_VALIDATION_PATH } from "../../../functions/spiffeid-validation/app.js";
import {
  startSpiffeIdValidationServer,
  VALIDATION_SPIRE_TIMEOUT_MS,
} from "../../../functions/spiffeid-validation/start.js";
import { type Bridge, startBridge } from "../../../lib/bridge/bridge.js";
import type { CrdContext } from "../../../lib/crd-sync/context.js";
import { type ServedApp, serveApp } from "../../../lib/http/serve.js";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";
import { crdContext, createRuntime, type Runtime } from "../../../lib/runtime/runtime.js";
import type { SpireClient } from "../../../lib/spire/client.js";

export interface CrdFunctionsOptions {
  /** Directory for the config file and the functions' log. */
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly cluster: string;
  /** The registrar's namespace (MY_POD_NAMESPACE): node SpiffeIDs live there. */
  readonly registrarNamespace: string;
  /** Holds the webhook's `tls.crt` and `tls.key`, served as they are. */
  readonly webhookCertDir: string;
  /** The webhook's port on 127.0.0.1 (the ValidatingWebhookConfiguration names it). */
  readonly webhookPort: number;
  /** More configuration keys (HCL JSON form). */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface CrdFunctions {
  readonly runtime: Runtime;
  readonly context: CrdContext;
  /** The SPIRE client the functions use, for assertions. */
  readonly spire: SpireClient;
  /** k8s-events: POST Pod, Node and EndpointSlice (or Endpoints) CloudEvents here. */
  readonly k8sEventsUrl: string;
  /** spiffeid-events: POST SpiffeID CloudEvents here. */
  readonly spiffeIdEventsUrl: string;
  /** resync: POST here to run a full resync. */
  readonly resyncUrl: string;
  /** The validating webhook's URL, as a ValidatingWebhookConfiguration names it. */
  readonly webhookUrl: string;
  stop(): Promise<void>;
}

export async function startCrdFunctions(options: CrdFunctionsOptions): Promise<CrdFunctions> {
  const configPath = join(options.dir, "crd.conf.json");
  await writeFile(
    configPath,
    JSON.stringify(
      {
        mode: "crd",
        log_level: "debug",
        log_path: join(options.dir, "crd.log"),
        trust_domain: options.trustDomain,
        cluster: options.cluster,
        server_socket_path: options.socketPath,
        pod_controller: true,
        add_svc_dns_name: true,
        webhook_enabled: true,
        webhook_cert_dir: options.webhookCertDir,
        webhook_port: options.webhookPort,
        ...options.config,
      },
      null,
      2,
    ),
  );
  const runtime = await createRuntime({
    functionName: "crd-e2e",
    configPath,
    env: {},
    kubeconfigPath: options.kubeconfigPath,
  });
  const served: ServedApp[] = [];
  const closeAll = async () => {
    await Promise.all(served.map((s) => s.close()));
    runtime.close();
  };
  try {
    const context = crdContext(runtime, { MY_POD_NAMESPACE: options.registrarNamespace });
    const common = { logger: runtime.logger, readiness: runtime.readiness };
    const serveLocal = async (name: string, app: Parameters<typeof serveApp>[0]) => {
      const one = await serveApp(app, { port: 0, hostname: "127.0.0.1", logger: runtime.logger, name });
      served.push(one);
      return `http://127.0.0.1:${one.port}/`;
    };
    const k8sEventsUrl = await serveLocal("k8s-events", createK8sEventsApp({ crd: context, ...common }));
    const spiffeIdEventsUrl = await serveLocal(
      "spiffeid-events",
      createSpiffeIdEventsApp({ crd: context, ...common }),
    );
    const resyncUrl = await serveLocal("resync", createResyncApp({ crd: context, ...common, now: Date.now }));
    const { config } = runtime;
    const webhook = await startSpiffeIdValidationServer({
      trustDomain: config.trustDomain,
      cluster: config.cluster,
      namespace: options.registrarNamespace,
      webhookServiceName: config.webhookServiceName,
      webhookCertDir: config.webhookCertDir,
      addr: `127.0.0.1:${config.webhookPort}`,
      spire: runtime.spire,
      admissionSpire: runtime.spireWithTimeout(VALIDATION_SPIRE_TIMEOUT_MS),
      ...common,
      checkDirAccess: async () => "read-only",
    });
    served.push(webhook);
    return {
      runtime,
      context,
      spire: runtime.spire,
      k8sEventsUrl,
      spiffeIdEventsUrl,
      resyncUrl,
      webhookUrl: `https://127.0.0.1:${webhook.port}${SPIFFEID_VALIDATION_PATH}`,
      stop: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * crd mode's two event sources as bridges (what its ApiServerSources deliver): pods, nodes and
 * EndpointSlices to k8s-events, SpiffeIDs to spiffeid-events.
 */
export async function startCrdBridges(
  client: KubeClient,
  fns: Pick<CrdFunctions, "k8sEventsUrl" | "spiffeIdEventsUrl">,
  logger: Logger,
): Promise<Bridge[]> {
  return [
    await startBridge({
      client,
      resources: ["pods", "nodes", "endpointslices"],
      sink: fns.k8sEventsUrl,
      logger,
    }),
    await startBridge({ client, resources: ["spiffeids"], sink: fns.spiffeIdEventsUrl, logger }),
  ];
}
