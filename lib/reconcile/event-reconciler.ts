/**
 * The event path of reconcile and webhook modes (DESIGN §2.1, §2.8): every Pod, Node, Endpoints or
 * EndpointSlice event reconciles its object's scope (the last two: their Service's), with at most one
 * reconcile in flight per object (later events only mark it dirty), and the pods of concurrent events
 * reconciled together (one SPIRE lookup and batched writes per batch). One per process; the k8s-events
 * function routes its events here.
 */
import type { ServiceRef } from "../k8s/service-endpoints.js";
import type { PodRef } from "../planner/index.js";
import { addSummary, emptySummary } from "./apply-plan.js";
import type { ReconcileContext } from "./context.js";
import { createKeyedBatcher } from "./keyed-batcher.js";
import { type EventOutcome, podKey, reconcilePods } from "./pod-batch.js";
import {
  createReconcileMemo,
  DEFAULT_MEMO_MAX_KEYS,
  DEFAULT_MEMO_TTL_MS,
  type ReconcileMemo,
} from "./reconcile-memo.js";
import { podsOfService, reconcileNode, servicesOfSlice } from "./scoped.js";
import { singleFlight } from "./single-flight.js";

export interface EventReconciler {
  pod(ref: PodRef): Promise<EventOutcome>;
  node(name: string): Promise<EventOutcome>;
  /** The pods behind one Service (reconcile mode with `add_pod_dns_names`): an Endpoints event's. */
  service(namespace: string, name: string): Promise<EventOutcome>;
  /** The pods behind the Service of one EndpointSlice, run as that Service's event. */
  endpointSlice(namespace: string, name: string): Promise<EventOutcome>;
}

export interface EventReconcilerOptions {
  /** Pods per batch (default 100). */
  readonly maxBatch?: number;
  /** Batches in flight at once (default 4). */
  readonly maxInFlight?: number;
  /** Default: a memo with a 60 s lifetime on the given clock. */
  readonly memo?: ReconcileMemo;
  /** Milliseconds since the epoch (default Date.now). */
  readonly now?: () => number;
}

/** Node and Service events are few: each runs on its own, with this many at once. */
const OTHER_CONCURRENCY = 8;

export function createEventReconciler(
  context: ReconcileContext,
  options: EventReconcilerOptions = {},
): EventReconciler {
  const memo =
    options.memo ??
    createReconcileMemo({
      ttlMs: DEFAULT_MEMO_TTL_MS,
      maxKeys: DEFAULT_MEMO_MAX_KEYS,
      now: options.now ?? Date.now,
    });
  const pods = createKeyedBatcher<PodRef, EventOutcome>({
    keyOf: podKey,
    run: (refs) => reconcilePods(context, refs, memo),
    maxBatch: options.maxBatch ?? 100,
    maxInFlight: options.maxInFlight ?? 4,
  });
  const nodes = singleFlight(
    (name: string) => name,
    (name) => caught(() => reconcileNode(context, name)),
    OTHER_CONCURRENCY,
  );
  // The key "<namespace>/" (no Service has an empty name) stands for every Service of the namespace.
  const services = singleFlight(
    ({ namespace, name }: ServiceRef) => `${namespace}/${name ?? ""}`,
    (service: ServiceRef) => caught(async () => combine(await podsOf(service))),
    OTHER_CONCURRENCY,
  );
  const podsOf = async (service: ServiceRef): Promise<EventOutcome[]> => {
    const found = await podsOfService(context, service);
    if (!found.ok) return [{ ok: false, error: found.error, summary: emptySummary() }];
    return Promise.all(found.value.map((ref) => pods.submit(ref)));
  };

  return {
    pod: (ref) => pods.submit(ref),
    node: (name) => nodes.submit(name),
    service: (namespace, name) => services.submit({ namespace, name }),
    endpointSlice: (namespace, name) =>
      caught(async () => {
        const service = await servicesOfSlice(context, namespace, name);
        return service ? services.submit(service) : { ok: true, summary: emptySummary() };
      }),
  };
}

/** Runs a handler that throws its expected failures (KubeApiError) as an outcome. */
async function caught(handler: () => Promise<EventOutcome>): Promise<EventOutcome> {
  try {
    return await handler();
  } catch (error) {
    return { ok: false, error, summary: emptySummary() };
  }
}

/** One outcome of many: their summaries added up, failed if any failed (the first error). */
function combine(outcomes: readonly EventOutcome[]): EventOutcome {
  const summary = emptySummary();
  let error: { error: unknown } | undefined;
  for (const outcome of outcomes) {
    addSummary(summary, outcome.summary);
    if (!outcome.ok) error ??= { error: outcome.error };
  }
  return error ? { ok: false, error: error.error, summary } : { ok: true, summary };
}
