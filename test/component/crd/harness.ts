/**
 * Component-test wiring for CRD mode: the real SPIRE client against the in-memory SPIRE server, the fake
 * cluster reader, the in-memory SpiffeID API, and the three apps (k8s-events, spiffeid-events, resync).
 * `deliverSpiffeIdEvents` plays the ApiServerSource for SpiffeIDs: it sends an event for every stored
 * SpiffeID until a round changes nothing.
 */

import pino from "pino";
import { createApp as createK8sEventsApp } from "../../../functions/k8s-events/app.js";
import { createApp as createResyncApp } from "../../../functions/resync/app.js";
import { createApp as createSpiffeIdEventsApp } from "../../../functions/spiffeid-events/app.js";
import type { CrdContext } from "../../../lib/crd-sync/context.js";
import type { Entry, EntrySpec } from "../../../lib/planner/entry.js";
import type { PlannerConfig } from "../../../lib/planner/planner-config.js";
import type { SpiffeId } from "../../../lib/planner/spiffeid.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { entrySpecToProto } from "../../../lib/spire/convert.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { createFakeCluster, type FakeCluster } from "../../fakes/cluster-reader.js";
import { createFakeSpiffeIdStore, type FakeSpiffeIdStore } from "../../fakes/spiffeid-store.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";
import { reconcileConfig as baseConfig } from "../../unit/planner/fixtures.js";

export const TD = "example.test";
export const CLUSTER = "c1";
export const REGISTRAR_NS = "spire";
export const NODE_ROOT = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
export const silentLogger = pino({ level: "silent" });
const ready = async () => ({ ready: true as const });

export function crdConfig(overrides: Partial<PlannerConfig> = {}): PlannerConfig {
  return baseConfig({
    mode: "crd",
    trustDomain: TD,
    cluster: CLUSTER,
    dnsNameTemplates: ["{{.Pod.Name}}"],
    addSvcDnsName: true,
    ...overrides,
  });
}

export interface CrdRig {
  readonly spireServer: FakeSpireServer;
  readonly spire: SpireClient;
  readonly cluster: FakeCluster;
  readonly store: FakeSpiffeIdStore;
  readonly context: CrdContext;
  readonly k8sEvents: ReturnType<typeof createK8sEventsApp>;
  readonly spiffeIdEvents: ReturnType<typeof createSpiffeIdEventsApp>;
  readonly resync: ReturnType<typeof createResyncApp>;
  /** Every entry in SPIRE, sorted by SPIFFE ID, then parent ID. */
  entries(): Promise<Entry[]>;
  seed(spec: EntrySpec): void;
  spiffeId(namespace: string, name: string): SpiffeId | undefined;
  /** Sends a SpiffeID event for each stored SpiffeID until nothing changes; returns the last statuses. */
  deliverSpiffeIdEvents(): Promise<number[]>;
  /** POSTs a PingSource event to the resync app; returns status and JSON body. */
  runResync(): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

export async function startCrdRig(
  config: PlannerConfig = crdConfig(),
  options: { podController?: boolean; federatedTrustDomains?: string[] } = {},
): Promise<CrdRig> {
  const spireServer = await startFakeSpireServer({
    trustDomain: TD,
    federatedTrustDomains: options.federatedTrustDomains ?? [],
  });
  const spire = createSpireClient({
    transport: createUnixSocketTransport(spireServer.socketPath),
    logger: silentLogger,
    retry: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
    timeoutMs: 2_000,
  });
  const cluster = createFakeCluster();
  const store = createFakeSpiffeIdStore(() => "2026-01-01T00:00:00Z");
  let clock = Date.parse("2026-01-01T00:00:00Z");
  const context: CrdContext = {
    config,
    podController: options.podController ?? true,
    registrarNamespace: REGISTRAR_NS,
    cluster,
    spiffeIds: store,
    spire,
    logger: silentLogger,
    now: () => (clock += 1000),
  };
  const k8sEvents = createK8sEventsApp({ crd: context, logger: silentLogger, readiness: ready });
  const spiffeIdEvents = createSpiffeIdEventsApp({ crd: context, logger: silentLogger, readiness: ready });
  const resync = createResyncApp({ crd: context, logger: silentLogger, readiness: ready, now: context.now });
  return {
    spireServer,
    spire,
    cluster,
    store,
    context,
    k8sEvents,
    spiffeIdEvents,
    resync,
    async entries() {
      const listed = await spire.listEntries();
      if (!listed.ok) throw listed.error;
      const key = (e: EntrySpec) => `${e.spiffeId} ${e.parentId}`;
      return listed.value.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    },
    seed: (spec) => spireServer.seed([entrySpecToProto(spec)]),
    spiffeId: (namespace, name) =>
      store.all().find((s) => s.metadata.namespace === namespace && s.metadata.name === name),
    async deliverSpiffeIdEvents() {
      let statuses: number[] = [];
      for (let round = 0; round < 10; round++) {
        const before = JSON.stringify(store.all());
        statuses = [];
        for (const spiffeId of store.all()) {
          const response = await spiffeIdEvents.request(
            spiffeIdEvent("update", spiffeId.metadata.namespace, spiffeId.metadata.name),
          );
          statuses.push(response.status);
        }
        if (JSON.stringify(store.all()) === before) return statuses;
      }
      throw new Error("SpiffeID events did not settle in 10 rounds (an event loop?)");
    },
    async runResync() {
      const response = await resync.request(
        new Request("http://fn/", {
          method: "POST",
          headers: {
            "ce-id": "ping",
            "ce-type": "dev.knative.sources.ping",
            "ce-source": "/p",
            "ce-specversion": "1.0",
          },
        }),
      );
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    async stop() {
      spire.close();
      await spireServer.stop();
    },
  };
}

let eventId = 0;

/** A Reference-mode ApiServerSource event about a SpiffeID. */
export function spiffeIdEvent(action: "add" | "update" | "delete", namespace: string, name: string): Request {
  return new Request("http://fn/", {
    method: "POST",
    headers: {
      "ce-id": `s${++eventId}`,
      "ce-specversion": "1.0",
      "ce-type": `dev.knative.apiserver.ref.${action}`,
      "ce-source": "https://127.0.0.1:6443",
      "content-type": "application/json",
    },
    body: JSON.stringify({ apiVersion: "spiffeid.spiffe.io/v1beta1", kind: "SpiffeID", namespace, name }),
  });
}

/** A manual SpiffeID (no owner), as an operator would write it. */
export function manualSpiffeId(
  name: string,
  spec: Partial<SpiffeId["spec"]> = {},
  namespace = "default",
): Pick<SpiffeId, "metadata" | "spec"> {
  return {
    metadata: { name, namespace },
    spec: {
      spiffeId: `spiffe://${TD}/${name}`,
      parentId: `spiffe://${TD}/spire/server`,
      selector: { namespace },
      ...spec,
    },
  };
}

/** The value, or a test failure when it is missing (instead of a non-null assertion). */
export function present<T>(value: T | undefined | null): T {
  if (value === undefined || value === null) throw new Error("expected a value, got none");
  return value;
}

export { podObject, refEvent } from "../functions/harness.js";
