/**
 * System "bridge": the project's `registrar serve --watch` in reconcile mode, from the built CLI,
 * as one process: the k8s-events and resync functions behind one listener, the API server watch
 * (lib/bridge) delivering ApiServerSource-format events to them, and the resync at start, which
 * is its cold start. `serveWatch` runs the same process for another configuration (the system
 * "cluster-spiffeid").
 */
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { freePort } from "../../../e2e/harness/ports.js";
import type { NodeCommand } from "../settings.js";
import type { RunContext, RunningSystem, SystemName, SystemUnderTest } from "../system.js";
import { missingBuild, startNodeProcess, writeConfig } from "./project-process.js";

/** `serveArgs` are more `registrar serve` flags, e.g. `["--resync-interval", "0"]`. */
export function projectBridge(node: NodeCommand, serveArgs: readonly string[] = []): SystemUnderTest {
  return serveWatch(
    node,
    { name: "bridge", title: "project (bridge)", config: (context) => context.registrarConfig },
    serveArgs,
  );
}

/** What differs between the systems that run `registrar serve --watch`. */
export interface ServeWatchSystem {
  readonly name: SystemName;
  readonly title: string;
  /** The configuration (HCL's JSON form) without the SPIRE socket and the metrics address, which each run sets. */
  config(context: RunContext): Readonly<Record<string, unknown>>;
  /** Why it cannot run besides a missing build, if it cannot. */
  unavailable?(): string | undefined;
  setUp?(kubeConfig: KubeConfig): Promise<void>;
}

/** `node dist/bundle/bin/registrar.js serve --watch` with `system`'s configuration. */
export function serveWatch(
  node: NodeCommand,
  system: ServeWatchSystem,
  serveArgs: readonly string[] = [],
): SystemUnderTest {
  return {
    name: system.name,
    title: system.title,
    unavailable: () => missingBuild("bin/registrar.js") ?? system.unavailable?.(),
    ...(system.setUp ? { setUp: system.setUp } : {}),
    async start(context: RunContext): Promise<RunningSystem> {
      const address = `127.0.0.1:${await freePort()}`;
      const configPath = await writeConfig(context.dir, "registrar.conf.json", {
        ...system.config(context),
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
      return { logPaths: [logPath, configPath], metricsUrls: [`http://${address}/metrics`] };
    },
  };
}
