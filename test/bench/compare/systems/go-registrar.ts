/**
 * System "go": the Go k8s-workload-registrar v1.5.6 in reconcile mode, started by the e2e harness
 * with the same configuration as the project (its harness adds the socket and a metrics port).
 */
import { startGoRegistrar } from "../../../e2e/harness/go-registrar.js";
import type { RunContext, RunningSystem, SystemUnderTest } from "../system.js";
import { missingPeer } from "./peer-binary.js";

export function goRegistrar(): SystemUnderTest {
  return {
    name: "go",
    title: "Go v1.5.6",
    unavailable: () => missingPeer("k8s-workload-registrar"),
    async start(context: RunContext): Promise<RunningSystem> {
      const registrar = await startGoRegistrar({
        mode: "reconcile",
        server: context.spire,
        kubeconfigPath: context.kubeconfigPath,
        config: context.registrarConfig,
        log: context.log,
      });
      context.own("registrar", registrar);
      return { logPaths: [registrar.logPath, registrar.configPath] };
    },
  };
}
