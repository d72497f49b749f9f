/**
 * `registrar serve [--watch]`: runs the configured mode's functions in one process (see
 * bin/serve/start-serving.ts) until SIGTERM/SIGINT.
 */
import { parseDurationMs } from "../../lib/config/coerce.js";
import { listenPort } from "../../lib/http/listen-port.js";
import { parseAddr } from "../../lib/http/serve-tls.js";
import { configPathOr } from "../../lib/runtime/config-path.js";
import { createRuntime, startupMessages } from "../../lib/runtime/runtime.js";
import { type CommandRun, USAGE_EXIT_CODE, USAGE_LINE } from "../cli-io.js";
import { parseFlags, stringFlag, wantsHelp } from "../flags.js";
import { startServing } from "../serve/start-serving.js";
import { CONFIG_DEFAULT_TEXT } from "./check-config.js";

const DEFAULT_RESYNC_INTERVAL = "5m";

export const usage = `usage: registrar serve [-config FILE] [--watch] [--listen ADDR] [--resync-interval DURATION] [--kubeconfig FILE]

Run the configured mode's functions in one process: /events, /spiffeid-events and /resync (by mode)
plus /healthz, /readyz and /metrics on one HTTP listener, and the admission webhooks on their own
HTTPS addresses (addr, webhook_port).

  -config FILE                configuration file (default: ${CONFIG_DEFAULT_TEXT})
  --watch                     watch the API server and deliver its changes to the functions as
                              ApiServerSource CloudEvents, and run the resync at start and then
                              every --resync-interval (what Knative's sources do in a cluster)
  --listen ADDR               HTTP listener, host:port (default ":" + PORT, else ":8080")
  --resync-interval DURATION  with --watch, e.g. 5m or 30s; 0 runs only the start-up resync
                              (default "${DEFAULT_RESYNC_INTERVAL}")
  --kubeconfig FILE           kubeconfig (default: KUBECONFIG, ~/.kube/config, in-cluster)
  --namespace NS              the registrar's namespace (crd mode: node SpiffeIDs; the resync's
                              Lease); default: MY_POD_NAMESPACE, POD_NAMESPACE, the service
                              account's namespace file
`;

export const run: CommandRun = async (args, io) => {
  const flags = parseFlags(args, {
    config: { takesValue: true },
    watch: { takesValue: false },
    listen: { takesValue: true },
    "resync-interval": { takesValue: true },
    kubeconfig: { takesValue: true },
    namespace: { takesValue: true },
    help: { takesValue: false },
    h: { takesValue: false },
  });
  const usageError = (reason: string) => {
    io.stderr.write(`registrar serve: ${reason}\n${USAGE_LINE}\n${usage}`);
    return USAGE_EXIT_CODE;
  };
  if (!flags.ok) return usageError(flags.error);
  if (flags.value.positionals.length > 0)
    return usageError(`unexpected argument: ${flags.value.positionals[0]}`);
  const watch = flags.value.values.get("watch") === true;
  if (wantsHelp(flags.value)) {
    io.stdout.write(usage);
    return 0;
  }
  const text = (name: string) => stringFlag(flags.value, name);
  const interval = text("resync-interval") ?? DEFAULT_RESYNC_INTERVAL;
  // "0" is no duration for the parser (it wants a unit and more than nothing), but here it means
  // what the usage says: only the start-up resync.
  const resyncIntervalMs = interval === "0" ? 0 : parseDurationMs(interval);
  if (resyncIntervalMs === undefined)
    return usageError(`--resync-interval ${JSON.stringify(interval)}: want a duration such as 5m`);
  let listen: { hostname?: string; port: number };
  try {
    const given = text("listen");
    const parsed = given === undefined ? undefined : parseAddr(given);
    listen = parsed
      ? { port: parsed.port, ...(parsed.host ? { hostname: parsed.host } : {}) }
      : { port: listenPort(io.env) };
  } catch (error) {
    return usageError((error as Error).message);
  }

  // The namespace reaches the functions as the downward-API variable they read in a pod.
  const namespace = text("namespace");
  const env = namespace ? { ...io.env, MY_POD_NAMESPACE: namespace } : io.env;
  try {
    const kubeconfig = text("kubeconfig");
    const runtime = await createRuntime({
      functionName: "serve",
      configPath: configPathOr(text("config"), io.env),
      env,
      // Every mode mounts /resync (and --watch runs it on a timer).
      runsResync: true,
      ...(kubeconfig ? { kubeconfigPath: kubeconfig } : {}),
    });
    const serving = await startServing({
      runtime,
      env,
      listen,
      watch,
      resyncIntervalMs,
    });
    runtime.logger.info({ url: serving.url, watch }, "registrar serving");
    await new Promise<void>((resolve) => {
      const stop = (signal: string) => {
        runtime.logger.info(`${signal} received: shutting down`);
        void serving.stop().finally(() => {
          runtime.close();
          runtime.logger.flush();
          resolve();
        });
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  } catch (error) {
    for (const message of startupMessages(error)) io.stderr.write(`${message}\n`);
    return 1;
  }
};
