/**
 * System "bridge": the project's `registrar serve --watch` in reconcile mode, from the built CLI,
 * as one process: the k8s-events and resync functions behind one listener, the API server watch
 * (lib/bridge) delivering ApiServerSource-format events to them, and the resync at start, which
 * is its cold start.
 */
import { join } from "node:path";
import { freePort } from "../../../e2e/harness/ports.js";
import type { NodeCommand } from "../settings.js";
import type { RunContext, RunningSystem, SystemUnderTest } from "../system.js";
import { missingBuild, startNodeProcess, writeConfig } from "./project-process.js";

/** `serveArgs` are more `registrar serve` flags, e.g. `["--resync-interval", "0"]`. */
export function projectBridge(node: NodeCommand, serveArgs: readonly string[] = []): SystemUnderTest {
  return {
    name: "bridge",
    title: "project (bridge)",
    unavailable: () => missingBuild("bin/registrar.js"),
    async start(context: RunContext): Promise<RunningSystem> {
      const address = `127.0.0.1:${await freePort()}`;
      const configPath = await writeConfig(context.dir, "registrar.conf.json", {
        ...context.registrarConfig,
        server_socket_path: context.spire.socketPath,
        metrics_addr: address,
      });
      const logPath = join(context.dir, "registrar.log");
      await startNodeProcess(
        {
          role: "registrar",
          entry: "bin/registrar.js",
          args: [
            "serve",
            "--watch",
            "-config",
            configPath,
            "--listen",
            address,
            "--kubeconfig",
            context.kubeconfigPath,
            ...serveArgs,
          ],
          node,
          env: process.env,
          logPath,
          url: `http://${address}`,
        },
        context,
      );
      return { logPaths: [logPath, configPath] };
    },
  };
}
