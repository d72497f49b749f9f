/**
 * The shared `main` of a function's container entry point: build the runtime from the config file,
 * let the function start its servers, and stop cleanly on SIGTERM. A configuration or start-up
 * error is printed (one line per problem) and the process exits 1, as the Go registrar did.
 */
import type { Hono } from "hono";
import type { EventHandler } from "../events/event-endpoint.js";
import { listenPort } from "../http/listen-port.js";
import { exitOnSignal, type ServedApp, serveApp } from "../http/serve.js";
import { configPathFrom } from "./config-path.js";
import { createRuntime, type Runtime, startupMessages } from "./runtime.js";

export async function runFunction(
  name: string,
  start: (runtime: Runtime) => Promise<ServedApp[]>,
): Promise<void> {
  const env = process.env;
  try {
    const runtime = await createRuntime({
      functionName: name,
      configPath: configPathFrom(process.argv.slice(2), env),
      env,
      runsResync: name === "resync",
    });
    exitOnSignal(await start(runtime), runtime.logger, () => runtime.close());
  } catch (error) {
    for (const message of startupMessages(error)) process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}

/** How long a stopping event function waits for the events it accepted to be reconciled. */
export const DRAIN_TIMEOUT_MS = 20_000;

/**
 * Serves an event function like `serveHttp`; on stop, after the listener closed, it waits (up to
 * DRAIN_TIMEOUT_MS) for the events it accepted (`event_ack = "accepted"`) to be reconciled.
 */
export async function serveEventFunction(
  runtime: Runtime,
  name: string,
  built: { readonly app: Hono; readonly handler: EventHandler },
): Promise<ServedApp[]> {
  const [served] = await serveHttp(runtime, name, built.app);
  if (!served) return [];
  return [
    {
      port: served.port,
      async close() {
        await served.close();
        await built.handler.drain(DRAIN_TIMEOUT_MS);
      },
    },
  ];
}

/** Serves an event or resync function over plain HTTP on the runtime's port (`PORT`, of-watchdog). */
export async function serveHttp(runtime: Runtime, name: string, app: Hono): Promise<ServedApp[]> {
  return [
    await serveApp(app, {
      port: listenPort(process.env),
      logger: runtime.logger,
      name,
      limits: { maxBodyBytes: runtime.config.maxRequestBytes },
    }),
  ];
}
