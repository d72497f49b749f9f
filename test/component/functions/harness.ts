/**
 * Component-test wiring for the functions: the real SPIRE client against the in-memory SPIRE
 * entry server, an in-memory cluster, and helpers to build ApiServerSource-format requests.
 */

import pino from "pino";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { ownershipFor } from "../../../lib/planner/ownership.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import type { ReconcileContext } from "../../../lib/reconcile/context.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { createFakeCluster, type FakeCluster } from "../../fakes/cluster-reader.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";
import { reconcileConfig as baseConfig } from "../../unit/planner/fixtures.js";

export const TD = "example.test";
export const silentLogger = pino({ level: "silent" });

export function reconcileConfig(overrides: Partial<PlannerConfig> = {}): PlannerConfig {
  return baseConfig({ trustDomain: TD, cluster: "c1", ...overrides });
}

export interface Rig {
  readonly spireServer: FakeSpireServer;
  readonly spire: SpireClient;
  readonly cluster: FakeCluster;
  readonly context: ReconcileContext;
  /** Every entry in SPIRE, sorted by SPIFFE ID, then parent ID. */
  entries(): Promise<EntrySpec[]>;
  seed(spec: EntrySpec): void;
  stop(): Promise<void>;
}

export async function startRig(config: PlannerConfig): Promise<Rig> {
  const spireServer = await startFakeSpireServer({ trustDomain: TD });
  const transport = createUnixSocketTransport(spireServer.socketPath);
  const spire = createSpireClient({
    transport,
    logger: silentLogger,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    timeoutMs: 2_000,
  });
  const cluster = createFakeCluster();
  return {
    spireServer,
    spire,
    cluster,
    context: { config, cluster, spire, isOwned: ownershipFor(config), logger: silentLogger },
    async entries() {
      const listed = await spire.listEntries();
      if (!listed.ok) throw listed.error;
      const key = (e: EntrySpec) => `${e.spiffeId} ${e.parentId}`;
      return listed.value.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    },
    seed: (spec) => spireServer.seed([entrySpecToProto(spec)]),
    async stop() {
      spire.close();
      await spireServer.stop();
    },
  };
}

let eventId = 0;

/** A binary-mode ApiServerSource event in Reference mode (the ApiServerSource default). */
export function refEvent(
  action: "add" | "update" | "delete",
  kind: string,
  name: string,
  namespace?: string,
): Request {
  const apiVersion = kind === "EndpointSlice" ? "discovery.k8s.io/v1" : "v1";
  const ref = { apiVersion, kind, name, ...(namespace ? { namespace } : {}) };
  return new Request("http://fn/", {
    method: "POST",
    headers: {
      "ce-id": String(++eventId),
      "ce-specversion": "1.0",
      "ce-type": `dev.knative.apiserver.ref.${action}`,
      "ce-source": "https://127.0.0.1:6443",
      "ce-subject": `/apis/${apiVersion}/namespaces/${namespace ?? ""}/${kind.toLowerCase()}s/${name}`,
      "ce-kind": kind,
      "ce-name": name,
      "ce-namespace": namespace ?? "",
      "content-type": "application/json",
    },
    body: JSON.stringify(ref),
  });
}

export function podObject(options: {
  name: string;
  namespace?: string;
  node?: string;
  serviceAccount?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  podIP?: string;
  phase?: string;
}) {
  return {
    metadata: {
      name: options.name,
      namespace: options.namespace ?? "default",
      uid: `uid-${options.name}`,
      labels: options.labels,
      annotations: options.annotations,
    },
    spec: { nodeName: options.node, serviceAccountName: options.serviceAccount ?? "default" },
    status: { phase: options.phase ?? "Running", podIP: options.podIP },
  };
}
