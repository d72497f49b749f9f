/**
 * The shared `main` of a function's container entry point: build the runtime from the config file,
 * build the app, serve it on the runtime's port, and stop cleanly on SIGTERM. A configuration
 * error is printed (one line per problem) and the process exits 1, as the Go registrar did.
 */
import type { Hono } from "hono";
import { listenPort } from "../http/listen-port.js";
import { exitOnSignal, serveApp } from "../http/serve.js";
import { configPathFrom } from "./config-path.js";
import { createRuntime, type Runtime, StartupError } from "./runtime.js";

export async function runFunction(name: string, buildApp: (runtime: Runtime) => Hono): Promise<void> {
  const env = process.env;
  let runtime: Runtime;
  try {
    runtime = await createRuntime({
      functionName: name,
      configPath: configPathFrom(process.argv.slice(2), env),
      env,
    });
    const served = await serveApp(buildApp(runtime), { port: listenPort(env), logger: runtime.logger, name });
    exitOnSignal([served], runtime.logger, () => runtime.close());
  } catch (error) {
    const messages =
      error instanceof StartupError
        ? error.messages
        : [error instanceof Error ? error.message : String(error)];
    for (const message of messages) process.stderr.write(`${message}\n`);
    process.exit(1);
  }
}
