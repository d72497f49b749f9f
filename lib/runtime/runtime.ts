/**
 * Builds what every function needs from its configuration file: the logger, the Kubernetes
 * client, the SPIRE client and the reconcile context. This is the I/O edge; the apps take these as
 * dependencies, so tests build them from fakes instead.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { type Config, isPlannerMode, type PlannerModeConfig } from "../config/config.js";
import { loadConfig } from "../config/parse-config.js";
import type { CrdContext } from "../crd-sync/context.js";
import type { ReadinessCheck } from "../http/health.js";
import { createKubeClient, type KubeClient } from "../k8s/kube-client.js";
import { loadKubeconfig } from "../k8s/kubeconfig.js";
import { createLeaseLock, type LeaseLock } from "../k8s/lease.js";
import { type ClusterReader, createClusterReader } from "../k8s/reader.js";
import { createSpiffeIdApi } from "../k8s/spiffeids.js";
import { createLogger } from "../log/create-logger.js";
import { LogField } from "../log/log-fields.js";
import { createMetrics, type Metrics } from "../metrics/metrics.js";
import { metricsEnabled } from "../metrics/routes.js";
import { ownershipFor } from "../planner/ownership.js";
import type { ReconcileContext } from "../reconcile/context.js";
import {
  createReconcileMemo,
  DEFAULT_MEMO_MAX_KEYS,
  DEFAULT_MEMO_TTL_MS,
} from "../reconcile/reconcile-memo.js";
import { createScmCluster, type ScmCluster } from "../scm-sync/cluster.js";
import { clusterDomainSource } from "../scm-sync/cluster-domain.js";
import type { FederationApi, ScmSyncContext } from "../scm-sync/context.js";
import { federationApi } from "../scm-sync/federation-api.js";
import { createSpireClient, type SpireClient } from "../spire/client.js";
import { coalesceWrites } from "../spire/coalesce.js";
import { createSpireTransport } from "../spire/create-transport.js";
import { instrumentTransport } from "../spire/instrument.js";
import { checkServerTrustDomain } from "../spire/server-trust-domain.js";
import { createTrustDomainClient } from "../spire/trust-domain-client.js";
import { ownNamespace } from "./namespace.js";

export interface Runtime {
  readonly config: Config;
  readonly logger: Logger;
  /**
   * The Kubernetes API client (one connection pool for the process), created on first use from the
   * kubeconfig: pod-admission never talks to Kubernetes and may run without one. The first use throws
   * a StartupError when no usable kubeconfig is found.
   */
  readonly kube: KubeClient;
  /** Reads through `kube`; also created on first use. */
  readonly cluster: ClusterReader;
  /** cluster-spiffeid mode's reads and status writes through `kube` (one per process); created on first use. */
  readonly scmCluster: ScmCluster;
  readonly spire: SpireClient;
  /** SPIRE's federation relationships (TrustDomain API), on the same connection. */
  readonly federation: FederationApi;
  /** A client on the same connection with a shorter deadline and no retries (for admission). */
  spireWithTimeout(timeoutMs: number): SpireClient;
  readonly readiness: ReadinessCheck;
  /** Absent when the mode's metrics address (`metrics_addr`, crd: `metrics_bind_addr`) is "0". */
  readonly metrics?: Metrics;
  close(): void;
}

/** Thrown for problems an operator must fix before the function can start; `messages` say what. */
export class StartupError extends Error {
  readonly messages: readonly string[];
  constructor(messages: readonly string[]) {
    super(messages.join("\n"));
    this.name = "StartupError";
    this.messages = messages;
  }
}

/** What to print for an error that stopped start-up: each problem of a StartupError, else its message. */
export function startupMessages(error: unknown): readonly string[] {
  if (error instanceof StartupError) return error.messages;
  return [error instanceof Error ? error.message : String(error)];
}

export interface RuntimeOptions {
  readonly functionName: string;
  readonly configPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A kubeconfig file; absent: KUBECONFIG, ~/.kube/config, then in-cluster. */
  readonly kubeconfigPath?: string;
  /** Whether the process runs resyncs, so its /metrics has the resync metrics (default false). */
  readonly runsResync?: boolean;
}

export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  const loaded = loadConfig(options.configPath);
  if (!loaded.ok) throw new StartupError(loaded.error);
  const { config } = loaded.value;
  let logger: Logger;
  try {
    logger = createLogger({ level: config.logLevel, path: config.logPath, format: config.logFormat }).child({
      [LogField.function]: options.functionName,
      [LogField.mode]: config.mode,
    });
  } catch (error) {
    throw new StartupError([
      `error setting up logging: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  for (const warning of loaded.value.warnings) logger.warn(warning);

  let kube: { client: KubeClient; cluster: ClusterReader; scmCluster: ScmCluster } | undefined;
  const loadKube = () => {
    if (!kube) {
      const target = loadKubeconfig({
        env: options.env,
        ...(options.kubeconfigPath ? { path: options.kubeconfigPath } : {}),
      });
      if (!target.ok) throw new StartupError([target.error]);
      logger.info(
        { [LogField.address]: target.value.server, source: target.value.source },
        "Kubernetes API server",
      );
      const client = createKubeClient(target.value);
      kube = { client, cluster: createClusterReader(client), scmCluster: createScmCluster(client) };
    }
    return kube;
  };
  const created = createSpireTransport({
    serverAddress: config.serverAddress,
    serverSocketPath: config.serverSocketPath,
    agentSocketPath: config.agentSocketPath,
    trustDomain: config.trustDomain,
    logger,
  });
  if (!created.ok) throw new StartupError([created.error]);
  const metricsAddress = config.mode === "crd" ? config.metricsBindAddr : config.metricsAddr;
  const metrics = metricsEnabled(metricsAddress)
    ? createMetrics({ resync: options.runsResync ?? false })
    : undefined;
  const transport = metrics ? instrumentTransport(created.value, metrics.spireRpc) : created.value;
  logger.info({ [LogField.address]: transport.target }, "SPIRE server");
  const batchSize = { create: config.entryBatchSize, update: config.entryBatchSize };
  // Writes of concurrent events share Batch* RPCs (the resync's large writes pass through).
  const spire = coalesceWrites(
    createSpireClient({
      transport,
      logger,
      timeoutMs: config.spireTimeoutMs,
      batchSize,
      concurrency: config.entryConcurrency,
    }),
    { maxBatch: batchSize, maxInFlight: config.entryConcurrency },
  );
  const readiness = cachedReadiness(async () => {
    const checked = await checkServerTrustDomain(spire, config.trustDomain);
    return checked.ok ? { ready: true } : { ready: false, reason: checked.error.message };
  }, 10_000);
  return {
    config,
    logger,
    get kube() {
      return loadKube().client;
    },
    get cluster() {
      return loadKube().cluster;
    },
    get scmCluster() {
      return loadKube().scmCluster;
    },
    spire,
    federation: federationApi(
      createTrustDomainClient({
        transport,
        logger,
        timeoutMs: config.spireTimeoutMs,
        concurrency: config.entryConcurrency,
      }),
    ),
    spireWithTimeout: (timeoutMs) =>
      createSpireClient({
        transport,
        logger,
        timeoutMs: Math.min(timeoutMs, config.spireTimeoutMs),
        retry: { maxAttempts: 1 },
      }),
    readiness,
    ...(metrics ? { metrics } : {}),
    close: () => {
      spire.close();
      kube?.client.close();
    },
  };
}

/**
 * The same runtime reading the cluster through `reads` (a watch cache: `cluster` in the planner's modes,
 * `scmCluster` in cluster-spiffeid mode); everything else stays lazy.
 */
/** Replacements for a runtime's reads. */
export interface ClusterReads {
  readonly cluster?: ClusterReader;
  readonly scmCluster?: ScmCluster;
}

export function withClusterReads(runtime: Runtime, reads: ClusterReads): Runtime {
  const replaced: PropertyDescriptorMap = {};
  if (reads.cluster) replaced.cluster = { value: reads.cluster, enumerable: true };
  if (reads.scmCluster) replaced.scmCluster = { value: reads.scmCluster, enumerable: true };
  return Object.create(runtime, replaced) as Runtime;
}

/** The context the event and resync functions take in the runtime's mode. */
export function modeContext(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>>,
): { crd: CrdContext } | { reconcile: ReconcileContext } | { clusterSpiffeId: ScmSyncContext } {
  if (runtime.config.mode === "cluster-spiffeid") return { clusterSpiffeId: scmSyncContext(runtime) };
  return runtime.config.mode === "crd"
    ? { crd: crdContext(runtime, env) }
    : { reconcile: reconcileContext(runtime) };
}

/** The cluster-spiffeid context of a runtime. */
export function scmSyncContext(runtime: Runtime): ScmSyncContext {
  const settings = runtime.config.clusterSpiffeId;
  if (settings === undefined)
    throw new StartupError([
      `spire-controller-manager's resources need mode = "cluster-spiffeid" (mode is "${runtime.config.mode}")`,
    ]);
  return {
    config: settings,
    cluster: runtime.scmCluster,
    spire: runtime.spire,
    federation: runtime.federation,
    logger: runtime.logger,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
    newUuid: randomUUID,
    clusterDomain: clusterDomainSource(settings.clusterDomain, runtime.logger),
    unsupportedFields: new Set(),
    now: Date.now,
    passedGenerations: new Map(),
    podMemory: createReconcileMemo({
      ttlMs: DEFAULT_MEMO_TTL_MS,
      maxKeys: DEFAULT_MEMO_MAX_KEYS,
      now: Date.now,
    }),
  };
}

/** The config of a function that serves only the planner's modes; a StartupError in cluster-spiffeid mode. */
export function plannerModeConfig(config: Config, functionName: string): PlannerModeConfig {
  if (isPlannerMode(config)) return config;
  throw new StartupError([`${functionName} does not serve mode "${config.mode}"`]);
}

/** The reconcile context of a reconcile- or webhook-mode runtime. */
export function reconcileContext(runtime: Runtime): ReconcileContext {
  const config = plannerModeConfig(runtime.config, "the reconcile handler");
  return {
    config,
    cluster: runtime.cluster,
    spire: runtime.spire,
    isOwned: ownershipFor(config),
    logger: runtime.logger,
    ...(runtime.metrics ? { metrics: runtime.metrics } : {}),
  };
}

/**
 * The CRD-mode context of a runtime. Node SpiffeIDs live in the registrar's own namespace (downward API
 * `MY_POD_NAMESPACE`, then `POD_NAMESPACE`, then the service account file); with `pod_controller` it must
 * be known.
 */
export function crdContext(runtime: Runtime, env: Readonly<Record<string, string | undefined>>): CrdContext {
  const config = runtime.config;
  if (!isPlannerMode(config) || config.mode !== "crd")
    throw new StartupError([`SpiffeID handling needs mode = "crd" (mode is "${config.mode}")`]);
  const namespace = ownNamespace("", env);
  if (namespace === undefined && config.podController) {
    throw new StartupError([
      "crd mode with pod_controller keeps node SpiffeIDs in the registrar's namespace, which is unknown: in a pod, set MY_POD_NAMESPACE from the downward API (fieldRef metadata.namespace); elsewhere, pass registrar serve --namespace NS",
    ]);
  }
  return {
    config,
    podController: config.podController,
    registrarNamespace: namespace ?? "",
    cluster: runtime.cluster,
    spiffeIds: createSpiffeIdApi(runtime.kube),
    spire: runtime.spire,
    logger: runtime.logger,
    now: Date.now,
  };
}

/** The resync Lease when `leader_election` is on; its name is the Go registrar's lock name. */
export function resyncLease(
  runtime: Runtime,
  env: Readonly<Record<string, string | undefined>>,
): LeaseLock | undefined {
  const { config } = runtime;
  if (!config.leaderElection) return undefined;
  const namespace = ownNamespace(config.leaderElectionNamespace, env);
  if (!namespace) {
    throw new StartupError([
      "leader_election is on but the namespace for its Lease is unknown: set leader_election_namespace or MY_POD_NAMESPACE",
    ]);
  }
  return createLeaseLock(runtime.kube, {
    namespace,
    name: `${config.controllerName}-leader-election`,
    identity: `${hostname()}_${Math.random().toString(36).slice(2, 10)}`,
    leaseDurationSeconds: 60,
    now: Date.now,
  });
}

/** A readiness check that asks again at most every `ttlMs` (Knative probes readiness aggressively). */
function cachedReadiness(check: ReadinessCheck, ttlMs: number): ReadinessCheck {
  let last: { at: number; result: Awaited<ReturnType<ReadinessCheck>> } | undefined;
  return async () => {
    if (last && Date.now() - last.at < ttlMs) return last.result;
    const result = await check();
    last = { at: Date.now(), result };
    return result;
  };
}
