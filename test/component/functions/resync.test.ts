import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../functions/resync/app.js";
import type { LeaseLock } from "../../../lib/k8s/lease.js";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { podObject, type Rig, reconcileConfig, silentLogger, startRig, TD } from "./harness.js";

const ROOT = `spiffe://${TD}/spire-k8s-registrar/c1/node`;
const ready = async () => ({ ready: true as const });
const ping = () =>
  new Request("http://fn/", {
    method: "POST",
    headers: {
      "ce-id": "1",
      "ce-type": "dev.knative.sources.ping",
      "ce-source": "/p",
      "ce-specversion": "1.0",
    },
  });

function podEntry(name: string, node: string, parentRoot = ROOT): EntrySpec {
  return {
    spiffeId: `spiffe://${TD}/ns/default/sa/default`,
    parentId: `${parentRoot}/${node}`,
    selectors: [
      { type: "k8s", value: "ns:default" },
      { type: "k8s", value: `pod-name:${name}` },
    ],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}

/** Stops `rig` and starts one with `config`. */
async function restartWith(rig: Rig, config: ReturnType<typeof reconcileConfig>): Promise<Rig> {
  await rig.stop();
  return startRig(config);
}

describe("resync (reconcile mode)", () => {
  let rig: Rig;
  beforeEach(async () => {
    rig = await startRig(reconcileConfig());
  });
  afterEach(() => rig.stop());

  it("creates what is missing, removes what is stale, and leaves foreign entries alone", async () => {
    rig.cluster.putNode({ metadata: { name: "n1" } });
    rig.cluster.putPod(podObject({ name: "live", node: "n1" }));
    rig.seed(podEntry("gone", "n1"));
    const foreign = podEntry("other", "n1", `spiffe://${TD}/spire-k8s-registrar/c1/node-extra`);
    rig.seed(foreign);
    let clock = 1_000;
    const app = createApp({
      reconcile: rig.context,
      logger: silentLogger,
      readiness: ready,
      now: () => (clock += 5),
    });

    const response = await app.request(ping());
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: "done",
      created: 2,
      existing: 0,
      updated: 0,
      deleted: 1,
      failed: 0,
      pods: 1,
      nodes: 1,
      entries: 2,
      warnings: 0,
      durationMs: 5,
    });
    expect((await rig.entries()).map((e) => [e.spiffeId, e.parentId])).toEqual([
      [`spiffe://${TD}/ns/default/sa/default`, foreign.parentId],
      [`spiffe://${TD}/ns/default/sa/default`, `${ROOT}/n1`],
      [`${ROOT}/n1`, `spiffe://${TD}/spire/server`],
    ]);

    const again = await app.request(ping());
    expect(await again.json()).toMatchObject({ created: 0, updated: 0, deleted: 0 });
  });

  it("gives pods whose annotation names an ID under /spire no entry and a warning, so resyncs stop failing (hardening defect 10)", async () => {
    rig = await restartWith(rig, reconcileConfig({ podAnnotation: "spiffe.io/id" }));
    rig.cluster.putNode({ metadata: { name: "n1" } });
    rig.cluster.putPod(
      podObject({ name: "a", node: "n1", annotations: { "spiffe.io/id": "spire/agent/x" } }),
    );
    rig.cluster.putPod(podObject({ name: "b", node: "n1", annotations: { "spiffe.io/id": "spire/server" } }));
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready, now: Date.now });
    for (let round = 0; round < 2; round++) {
      const response = await app.request(ping());
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ failed: 0, warnings: 2 });
    }
    expect((await rig.entries()).map((entry) => entry.spiffeId)).toEqual([`${ROOT}/n1`]);
  });

  it("counts entries another resync wrote first as existing, not created (hardening defect 13)", async () => {
    rig.cluster.putNode({ metadata: { name: "n1" } });
    for (let i = 0; i < 60; i++)
      rig.cluster.putPod(podObject({ name: `p${i}`, node: "n1", serviceAccount: `sa${i}` }));
    // Two instances (two function pods): each has its own "already running" guard.
    const one = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready, now: Date.now });
    const two = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready, now: Date.now });
    const answers = await Promise.all([one.request(ping()), two.request(ping())]);
    const summaries = (await Promise.all(answers.map((answer) => answer.json()))) as {
      created: number;
      existing: number;
    }[];
    const total = (await rig.entries()).length;
    expect(total).toBe(61);
    expect(summaries.reduce((sum, summary) => sum + summary.created, 0)).toBe(total);
    for (const summary of summaries) expect(summary.created + summary.existing).toBeLessThanOrEqual(total);
  });

  it("reports what a failed resync wrote before it failed (hardening defect 13)", async () => {
    rig.cluster.putNode({ metadata: { name: "n1" } });
    for (let i = 0; i < 120; i++)
      rig.cluster.putPod(podObject({ name: `p${i}`, node: "n1", serviceAccount: `sa${i}` }));
    rig.spireServer.injectFault({ method: "BatchCreateEntry", onCall: 2, code: Code.PermissionDenied });
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready, now: Date.now });
    const response = await app.request(ping());
    expect(response.status).toBe(500);
    const summary = (await response.json()) as { status: string; created: number };
    const written = (await rig.entries()).length;
    expect(written).toBeGreaterThan(0);
    expect(summary).toMatchObject({ status: "failed", created: written });
  });

  it("answers at once that a resync is running when called concurrently", async () => {
    rig.cluster.putPod(podObject({ name: "p", node: "n1" }));
    const app = createApp({ reconcile: rig.context, logger: silentLogger, readiness: ready, now: Date.now });
    const [first, second] = await Promise.all([app.request(ping()), app.request(ping())]);
    expect(first.status).toBe(200);
    expect(second.status).toBe(202);
    expect(await second.json()).toEqual({
      status: "skipped",
      reason: "a resync is already running in this instance",
    });
  });

  it("skips when another instance holds the lease, and releases its own", async () => {
    const held: LeaseLock = { tryAcquire: async () => ({ acquired: false, holder: "resync-7f_abc" }) };
    const skipped = await createApp({
      reconcile: rig.context,
      logger: silentLogger,
      readiness: ready,
      now: Date.now,
      lease: held,
    }).request(ping());
    expect(await skipped.json()).toEqual({
      status: "skipped",
      reason: "a resync is already running (lease held by resync-7f_abc)",
    });

    let released = 0;
    const free: LeaseLock = {
      tryAcquire: async () => ({ acquired: true, release: async () => void released++ }),
    };
    const done = await createApp({
      reconcile: rig.context,
      logger: silentLogger,
      readiness: ready,
      now: Date.now,
      lease: free,
    }).request(ping());
    expect(done.status).toBe(200);
    expect(released).toBe(1);
  });
});
