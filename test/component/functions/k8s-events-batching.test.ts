import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp, createHandler } from "../../../functions/k8s-events/app.js";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { entryKey } from "../../../lib/planner/entry-key.js";
import { deriveReconcileEntries } from "../../../lib/planner/index.js";
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import type { SpireClient } from "../../../lib/spire/client.js";
import { podObject, type Rig, reconcileConfig, refEvent, silentLogger, startRig } from "./harness.js";

const ready = async () => ({ ready: true as const });
const config = reconcileConfig();

/** A small seeded PRNG, so a failing order can be replayed (the seed is in the test name). */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Records every spec SPIRE is asked to create and every pod read, on top of the real client. */
function recording(spire: SpireClient) {
  const createdKeys: string[] = [];
  const client: SpireClient = {
    ...spire,
    async createEntries(specs) {
      for (const spec of specs) createdKeys.push(entryKey(spec));
      return spire.createEntries(specs);
    },
  };
  return { client, createdKeys };
}

const sorted = (specs: readonly EntrySpec[]) =>
  specs
    .map(({ spiffeId, parentId, selectors, dnsNames }) => ({ spiffeId, parentId, selectors, dnsNames }))
    .sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : entryKey(a) > entryKey(b) ? 1 : 0));

describe("k8s-events: single flight per pod and batches across events", () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig(config);
  });
  afterEach(() => rig.stop());

  const pods: Pod[] = Array.from({ length: 100 }, (_, i) =>
    podObject({
      name: `web-${i}`,
      namespace: `ns-${i % 10}`,
      node: `n${i % 5}`,
      serviceAccount: `sa-${i % 3}`,
    }),
  );

  for (const seed of [1, 2, 3]) {
    it(`1,000 events for 100 pods in random order (seed ${seed}) give exactly the desired entries, each created once`, async () => {
      const { client, createdKeys } = recording(rig.spire);
      const app = createApp({
        reconcile: { ...rig.context, spire: client },
        logger: silentLogger,
        readiness: ready,
      });
      for (const pod of pods) rig.cluster.putPod(pod);
      const random = mulberry32(seed);
      const actions = ["add", "update", "update", "delete"] as const;
      const events = shuffle(
        pods.flatMap((pod) =>
          Array.from({ length: 10 }, () => ({
            action: actions[Math.floor(random() * actions.length)] ?? "add",
            name: pod.metadata?.name ?? "",
            namespace: pod.metadata?.namespace ?? "",
          })),
        ),
        random,
      );

      const statuses = await Promise.all(
        events.map(async (event) => {
          const response = await app.request(refEvent(event.action, "Pod", event.name, event.namespace));
          return response.status;
        }),
      );

      expect(new Set(statuses)).toEqual(new Set([204]));
      const desired = deriveReconcileEntries({ pods, nodes: [], endpoints: [] }, config).desired;
      expect(sorted(await rig.entries())).toEqual(sorted(desired));
      expect(createdKeys).toHaveLength(100);
      expect(new Set(createdKeys).size).toBe(100);
      // Shared lookups and writes: far fewer RPCs than events.
      expect(rig.spireServer.rpcCounts.ListEntries ?? 0).toBeLessThan(50);
      expect(rig.spireServer.rpcCounts.BatchCreateEntry ?? 0).toBeLessThan(20);
      expect(rig.spireServer.rpcCounts.BatchDeleteEntry ?? 0).toBe(0);
    });
  }

  it("with accepted acks answers 202 at once and reconciles in the background, still in shared batches", async () => {
    const handler = createHandler({
      reconcile: rig.context,
      logger: silentLogger,
      readiness: ready,
      ack: "accepted",
    });
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready }, handler);
    for (const pod of pods) rig.cluster.putPod(pod);
    // One event at a time, each awaited, as Knative's ApiServerSource adapter sends them.
    for (const pod of pods) {
      const response = await app.request(
        refEvent("add", "Pod", pod.metadata?.name ?? "", pod.metadata?.namespace),
      );
      expect(response.status).toBe(202);
    }
    await handler.drain(10_000);
    expect(await rig.entries()).toHaveLength(100);
    expect(rig.spireServer.rpcCounts.BatchCreateEntry ?? 0).toBeLessThan(50);
  });

  it("re-reads a pod that changed while its reconcile was in flight, and converges on the change", async () => {
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready });
    rig.cluster.putPod(podObject({ name: "web", node: "n1", serviceAccount: "old" }));
    rig.spireServer.injectFault({ method: "BatchCreateEntry", delayMs: 100 });
    const first = app.request(refEvent("add", "Pod", "web", "default"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    // The create of "old" is in flight: the change and its event arrive now.
    rig.cluster.putPod(podObject({ name: "web", node: "n1", serviceAccount: "new" }));
    const second = app.request(refEvent("update", "Pod", "web", "default"));
    expect((await first).status).toBe(204);
    expect((await second).status).toBe(204);
    expect((await rig.entries()).map((e) => e.spiffeId)).toEqual(["spiffe://example.test/ns/default/sa/new"]);
  });

  it("runs one more reconcile of a busy pod however many events arrive meanwhile", async () => {
    let reads = 0;
    const cluster = {
      ...rig.cluster,
      getPod: (namespace: string, name: string) => {
        reads++;
        return rig.cluster.getPod(namespace, name);
      },
    };
    const app = createApp({ reconcile: { ...rig.context, cluster }, logger: silentLogger, readiness: ready });
    rig.cluster.putPod(podObject({ name: "web", node: "n1" }));
    rig.spireServer.injectFault({ method: "BatchCreateEntry", delayMs: 100 });
    const first = app.request(refEvent("add", "Pod", "web", "default"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const more = Array.from({ length: 20 }, () => app.request(refEvent("update", "Pod", "web", "default")));
    const statuses = await Promise.all([first, ...more].map(async (r) => (await r).status));
    expect(new Set(statuses)).toEqual(new Set([204]));
    expect(reads).toBe(2);
  });

  it("skips SPIRE for an event that changes nothing the entry derives from, and not otherwise", async () => {
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready });
    rig.cluster.putPod(podObject({ name: "web", node: "n1" }));
    await app.request(refEvent("add", "Pod", "web", "default"));
    const lists = rig.spireServer.rpcCounts.ListEntries ?? 0;
    // A status-only change: same entry.
    rig.cluster.putPod(podObject({ name: "web", node: "n1", podIP: "10.0.0.7" }));
    await app.request(refEvent("update", "Pod", "web", "default"));
    expect(rig.spireServer.rpcCounts.ListEntries ?? 0).toBe(lists);
    // A new service account: a new entry.
    rig.cluster.putPod(podObject({ name: "web", node: "n1", serviceAccount: "api" }));
    await app.request(refEvent("update", "Pod", "web", "default"));
    expect((await rig.entries()).map((e) => e.spiffeId)).toEqual(["spiffe://example.test/ns/default/sa/api"]);
  });

  it("answers 503 to every event of a batch whose SPIRE lookup fails, and converges on redelivery", async () => {
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready });
    for (const pod of pods.slice(0, 10)) rig.cluster.putPod(pod);
    rig.spireServer.injectFault({ method: "ListEntries", code: Code.Unavailable, times: 10 });
    const send = () =>
      Promise.all(
        pods
          .slice(0, 10)
          .map(
            async (pod) =>
              (await app.request(refEvent("add", "Pod", pod.metadata?.name ?? "", pod.metadata?.namespace)))
                .status,
          ),
      );
    expect(new Set(await send())).toEqual(new Set([503]));
    rig.spireServer.clearFaults();
    expect(new Set(await send())).toEqual(new Set([204]));
    expect(await rig.entries()).toHaveLength(10);
  });
});
