/**
 * Knative's PingSource adapter (knative.dev/eventing v0.49.2 `cmd/mtping`) out of cluster: it reads
 * PingSources through a kubeconfig and POSTs a `dev.knative.sources.ping` CloudEvent to each ready
 * one's `status.sinkUri` on its schedule. What the cluster must give it, from the same eventing
 * release (copied beside the binaries by scripts/peers.sh into `knative-eventing/`): the PingSource
 * CRD and the ConfigMaps config-logging and config-observability in its system namespace, without
 * which it exits. The CRD is applied without its conversion webhook (eventing-webhook converts
 * between v1beta2 and v1; it does not run here, and kube-apiserver would log every failed call).
 * The PingSource controller, which resolves `spec.sink` into `status.sinkUri` and marks the source
 * Ready, does not run either: a test writes that status itself.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api, type KubeConfig, type V1ConfigMap } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { applyCrdObjects, readCrds } from "./crds.js";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary, peersCacheDir } from "./peers.js";
import { spawnPeer, waitUntil } from "./process.js";
import { makeRunDir } from "./tmp.js";

/** The lease mtping's only reconciler bucket is led through (leader election is on, as in the cluster). */
const LEADER_LEASE = "pingsource-mt-adapter.knative.dev.eventing.pkg.adapter.mtping.reconciler.00-of-01";
const START_TIMEOUT_MS = 30_000;

/** A file scripts/peers.sh copied from the eventing release: pingsource.yaml, logging.yaml, observability.yaml. */
function knativeEventingFile(name: string): string {
  return join(peersCacheDir("knative-eventing"), name);
}

export interface PingSourceAdapterOptions {
  readonly kubeconfigPath: string;
  readonly kubeConfig: KubeConfig;
  /** SYSTEM_NAMESPACE and NAMESPACE (created when missing); default `knative-eventing`. */
  readonly systemNamespace?: string;
  readonly log?: HarnessLog;
}

export interface PingSourceAdapter {
  readonly pid: number;
  /** Stops it by PID and removes its run dir. */
  stop(): Promise<void>;
}

/**
 * Applies the PingSource CRD and creates the ConfigMaps, then starts mtping and waits until it leads
 * (holds its Lease).
 */
export async function startPingSourceAdapter(opts: PingSourceAdapterOptions): Promise<PingSourceAdapter> {
  const log = opts.log ?? stderrLog;
  const namespace = opts.systemNamespace ?? "knative-eventing";
  const crds = await readCrds([knativeEventingFile("pingsource.yaml")]);
  await applyCrdObjects(
    opts.kubeConfig,
    crds.map((crd) => ({ ...crd, spec: { ...crd.spec, conversion: { strategy: "None" } } })),
    log,
  );
  const core = opts.kubeConfig.makeApiClient(CoreV1Api);
  const existing = await core.listNamespace({ fieldSelector: `metadata.name=${namespace}` });
  if (existing.items.length === 0) await core.createNamespace({ body: { metadata: { name: namespace } } });
  for (const file of ["logging.yaml", "observability.yaml"]) {
    for (const document of parseAllDocuments(await readFile(knativeEventingFile(file), "utf8"))) {
      const map = document.toJS() as V1ConfigMap | null;
      if (map?.kind !== "ConfigMap") continue;
      await core.createNamespacedConfigMap({
        namespace,
        body: { ...map, metadata: { ...map.metadata, namespace } },
      });
    }
  }

  const run = await makeRunDir("mtping", log);
  const startedAt = performance.now();
  const peer = spawnPeer({
    name: "mtping",
    command: peerBinary("mtping"),
    args: [`--kubeconfig=${opts.kubeconfigPath}`],
    logPath: join(run.path, "mtping.log"),
    env: {
      PATH: process.env.PATH ?? "",
      // As the pingsource-mt-adapter Deployment sets them (the downward API gives the namespace and pod).
      SYSTEM_NAMESPACE: namespace,
      NAMESPACE: namespace,
      POD_NAME: "pingsource-mt-adapter-e2e",
      K_OBSERVABILITY_CONFIG: "{}",
      K_LOGGING_CONFIG: "",
      K_LEADER_ELECTION_CONFIG: "",
      K_SINK_TIMEOUT: "-1",
      // Its SIGTERM is otherwise held until the next minute when it comes after second 55 (so a
      // successor does not miss that minute's tick); a test has no successor.
      K_NO_SHUTDOWN_AFTER: "59",
    },
  });
  try {
    const leases = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    await waitUntil(
      async () => {
        const lease = await leases.readNamespacedLease({ namespace, name: LEADER_LEASE });
        return (lease.spec?.holderIdentity ?? "") !== "";
      },
      { what: "mtping's leader Lease", timeoutMs: START_TIMEOUT_MS, intervalMs: 250, peer },
    );
  } catch (error) {
    await peer.stop();
    await run.remove();
    throw error;
  }
  log(`mtping leading in ${elapsedMs(startedAt)} ms (pid ${peer.pid})`);
  return {
    pid: peer.pid,
    async stop() {
      await peer.stop();
      await run.remove();
    },
  };
}
