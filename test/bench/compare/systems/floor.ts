/**
 * System "floor": no registrar at all. The entries the project derives (a node entry per node, a
 * pod entry per pod, in the pods' final state) are written straight to this run's spire-server with
 * the project's SpireClient: BatchCreateEntry in batches of `entry_batch_size` (50), `entry_concurrency`
 * (4) in flight, concurrent calls coalesced as in the functions. The cold start is one createEntries
 * of everything derived beforehand; in the burst each pod's entry is written when its create returns,
 * and deleted when its delete returns. What the others take beyond this is their own cost.
 */
import pino from "pino";
import { type Config, isPlannerMode, type PlannerModeConfig } from "../../../../lib/config/config.js";
import { loadConfig } from "../../../../lib/config/parse-config.js";
import { createClusterReader } from "../../../../lib/k8s/reader.js";
import { serviceEndpointsReader } from "../../../../lib/k8s/service-endpoints.js";
import type { EntrySpec } from "../../../../lib/planner/entry.js";
import { deriveReconcileEntries } from "../../../../lib/planner/index.js";
import { createSpireClient, type SpireClient } from "../../../../lib/spire/client.js";
import { coalesceWrites } from "../../../../lib/spire/coalesce.js";
import { createUnixSocketTransport } from "../../../../lib/spire/transport.js";
import { type PlannedPod, plannerPod } from "../planned-pods.js";
import type { RunContext, RunningSystem, SystemUnderTest } from "../system.js";
import { writeConfig } from "./project-process.js";

export function floor(): SystemUnderTest {
  // Runs are sequential: what `prepare` derives is for the next `start`.
  let prepared: { config: PlannerModeConfig; desired: EntrySpec[] } | undefined;
  return {
    name: "floor",
    title: "floor",
    unavailable: () => undefined,
    async prepare(context) {
      const configPath = await writeConfig(context.dir, "registrar.conf.json", {
        ...context.registrarConfig,
        server_socket_path: context.spire.socketPath,
      });
      const loaded = loadConfig(configPath);
      if (!loaded.ok) throw new Error(`floor configuration: ${loaded.error.join("; ")}`);
      const { config } = loaded.value;
      if (!isPlannerMode(config))
        throw new Error(`floor configuration: mode ${config.mode} is not reconcile`);
      const cluster = createClusterReader(context.kube);
      const [pods, nodes, endpoints] = await Promise.all([
        cluster.listPods(),
        cluster.listNodes(),
        serviceEndpointsReader(cluster, config.endpointsSource).all(),
      ]);
      prepared = { config, desired: deriveReconcileEntries({ pods, nodes, endpoints }, config).desired };
    },
    async start(context: RunContext): Promise<RunningSystem> {
      if (!prepared) throw new Error("floor: start() without prepare()");
      const { config, desired } = prepared;
      prepared = undefined;
      const spire = writerFor(context.spire.socketPath, config);
      const created = await spire.createEntries(desired);
      if (!created.ok) throw new Error(`floor: createEntries failed: ${created.error.message}`);
      const failed = created.value.filter((result) => !result.ok).length;
      if (failed > 0) throw new Error(`floor: SPIRE refused ${failed} of ${desired.length} entries`);

      const ids = new Map<string, string>();
      const writes = new Set<Promise<void>>();
      const problems: string[] = [];
      const track = (work: Promise<void>) => {
        writes.add(work);
        void work.finally(() => writes.delete(work));
      };
      return {
        logPaths: [],
        podCreated(pod: PlannedPod) {
          const [spec] = deriveReconcileEntries(
            { pods: [plannerPod(pod)], nodes: [], endpoints: [] },
            config,
          ).desired;
          if (!spec) {
            problems.push(`${pod.key}: no entry derived`);
            return;
          }
          track(
            spire.createEntries([spec]).then((result) => {
              const item = result.ok ? result.value[0] : undefined;
              if (item?.ok) ids.set(pod.key, item.entry.id);
              else problems.push(`${pod.key}: create failed`);
            }),
          );
        },
        podDeleted(pod: PlannedPod) {
          const id = ids.get(pod.key);
          if (id === undefined) {
            problems.push(`${pod.key}: no entry id to delete`);
            return;
          }
          track(
            spire.deleteEntries([id]).then((result) => {
              if (!result.ok || !result.value[0]?.ok) problems.push(`${pod.key}: delete failed`);
              ids.delete(pod.key);
            }),
          );
        },
        async stop() {
          await Promise.all(writes);
          spire.close();
          if (problems.length > 0)
            throw new Error(`floor: ${problems.length} failed writes, e.g. ${problems[0]}`);
        },
      };
    },
  };
}

/** The project's client with the configured batch size and concurrency, writes coalesced. */
function writerFor(socketPath: string, config: Config): SpireClient {
  const batchSize = { create: config.entryBatchSize, update: config.entryBatchSize };
  return coalesceWrites(
    createSpireClient({
      transport: createUnixSocketTransport(socketPath),
      logger: pino({ level: "silent" }),
      timeoutMs: config.spireTimeoutMs,
      batchSize,
      concurrency: config.entryConcurrency,
    }),
    { maxBatch: batchSize, maxInFlight: config.entryConcurrency },
  );
}
