import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import {
  type CrdRig,
  manualSpiffeId,
  NODE_ROOT,
  podObject,
  REGISTRAR_NS,
  startCrdRig,
  TD,
} from "./harness.js";

function entry(spiffeId: string, parentId: string, selectors: EntrySpec["selectors"]): EntrySpec {
  return { spiffeId, parentId, selectors, dnsNames: [], federatesWith: [], admin: false, downstream: false };
}

describe("resync (crd mode)", () => {
  let rig: CrdRig;
  beforeEach(async () => {
    rig = await startCrdRig();
  });
  afterEach(() => rig.stop());

  it("creates SpiffeIDs and entries for every pod and node, and a second resync changes nothing", async () => {
    rig.cluster.putNode({ metadata: { name: "n1", uid: "node-uid-1" } });
    rig.cluster.putPod(podObject({ name: "a", node: "n1" }));
    rig.cluster.putPod(podObject({ name: "b", node: "n1", namespace: "other" }));
    rig.store.seed(manualSpiffeId("manual"));
    const first = await rig.runResync();
    expect(first.status).toBe(200);
    expect(
      rig.store
        .all()
        .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
        .sort(),
    ).toEqual(["default/a", "default/manual", "other/b", `${REGISTRAR_NS}/n1`]);
    const entries = await rig.entries();
    expect(entries.map((e) => e.spiffeId)).toEqual([
      `spiffe://${TD}/k8s-workload-registrar/c1/node/n1`,
      `spiffe://${TD}/manual`,
      `spiffe://${TD}/ns/default/sa/default`,
      `spiffe://${TD}/ns/other/sa/default`,
    ]);
    for (const spiffeId of rig.store.all())
      expect(entries.map((e) => e.id)).toContain(spiffeId.status?.entryId);

    const before = { spiffeIds: rig.store.all(), entries, writes: { ...rig.store.writes } };
    const second = await rig.runResync();
    expect(second.body).toMatchObject({
      status: "done",
      entriesCreated: 0,
      spiffeIdsCreated: 0,
      statusWrites: 0,
    });
    expect(rig.store.all()).toEqual(before.spiffeIds);
    expect(rig.store.writes).toEqual(before.writes);
    expect(await rig.entries()).toEqual(before.entries);
  });

  it("deletes SpiffeIDs (and entries) of pods and nodes that are gone, and entries no SpiffeID records", async () => {
    rig.cluster.putNode({ metadata: { name: "n1", uid: "node-uid-1" } });
    rig.cluster.putPod(podObject({ name: "a", node: "n1" }));
    rig.cluster.putPod(podObject({ name: "gone", node: "n1" }));
    rig.store.seed(manualSpiffeId("manual", { parentId: `${NODE_ROOT}/n1` }));
    await rig.runResync();
    rig.cluster.pods.delete("default/gone");
    rig.cluster.nodes.delete("n1");
    // Stale, in the registrar's shape: a pod entry under the node root and a node entry; both unrecorded.
    rig.seed(entry(`spiffe://${TD}/leftover`, `${NODE_ROOT}/n9`, [{ type: "k8s", value: "pod-uid:x" }]));
    rig.seed(
      entry(`${NODE_ROOT}/n9`, `spiffe://${TD}/spire/server`, [
        { type: "k8s_psat", value: "cluster:c1" },
        { type: "k8s_psat", value: "agent_node_uid:old" },
      ]),
    );
    // Foreign: another parent, and a node entry of another cluster.
    const foreign = [
      entry(`spiffe://${TD}/other`, `spiffe://${TD}/elsewhere`, [{ type: "k8s", value: "ns:x" }]),
      entry(`spiffe://${TD}/k8s-workload-registrar/c2/node/n1`, `spiffe://${TD}/spire/server`, [
        { type: "k8s_psat", value: "cluster:c2" },
        { type: "k8s_psat", value: "agent_node_uid:u" },
      ]),
    ];
    for (const spec of foreign) rig.seed(spec);

    const result = await rig.runResync();
    expect(result.status).toBe(200);
    expect(
      rig.store
        .all()
        .map((s) => s.metadata.name)
        .sort(),
    ).toEqual(["a", "manual"]);
    expect((await rig.entries()).map((e) => e.spiffeId).sort()).toEqual(
      [
        `spiffe://${TD}/manual`,
        `spiffe://${TD}/ns/default/sa/default`,
        `spiffe://${TD}/other`,
        `spiffe://${TD}/k8s-workload-registrar/c2/node/n1`,
      ].sort(),
    );
  });

  it("recreates an entry deleted by hand in SPIRE", async () => {
    rig.cluster.putPod(podObject({ name: "a", node: "n1" }));
    await rig.runResync();
    const [first] = await rig.entries();
    await rig.spire.deleteEntries([first?.id ?? ""]);
    await rig.runResync();
    const [second] = await rig.entries();
    expect(second?.spiffeId).toBe(first?.spiffeId);
    expect(rig.spiffeId("default", "a")?.status?.entryId).toBe(second?.id);
  });

  it("answers 503 and cleans up nothing when SPIRE cannot be listed, then catches up", async () => {
    rig.seed(entry(`spiffe://${TD}/leftover`, `${NODE_ROOT}/n9`, [{ type: "k8s", value: "pod-uid:x" }]));
    rig.spireServer.injectFault({ method: "ListEntries", code: Code.Unavailable, times: 10 });
    const result = await rig.runResync();
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ status: "failed" });
    rig.spireServer.clearFaults();
    expect(await rig.entries()).toHaveLength(1);
    expect((await rig.runResync()).status).toBe(200);
    expect(await rig.entries()).toEqual([]);
  });
});
