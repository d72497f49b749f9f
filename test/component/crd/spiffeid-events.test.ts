import { Code } from "@connectrpc/connect";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import { SPIFFEID_FINALIZER } from "../../../lib/planner/spiffeid.js";
import {
  type CrdRig,
  crdConfig,
  manualSpiffeId,
  present,
  spiffeIdEvent,
  startCrdRig,
  TD,
} from "./harness.js";

describe("spiffeid-events (crd mode)", () => {
  let rig: CrdRig;
  beforeEach(async () => {
    rig = await startCrdRig(crdConfig(), { federatedTrustDomains: ["partner.org"] });
  });
  afterEach(() => rig.stop());

  const sync = (name: string, namespace = "default") =>
    rig.spiffeIdEvents.request(spiffeIdEvent("update", namespace, name));

  it("creates the entry, adds the finalizer and records status.entryId with Ready True", async () => {
    rig.store.seed(manualSpiffeId("web", { dnsNames: ["web.example", "alt.example"], downstream: true }));
    expect((await sync("web")).status).toBe(204);
    const [entry] = await rig.entries();
    expect(entry).toMatchObject({
      spiffeId: `spiffe://${TD}/web`,
      parentId: `spiffe://${TD}/spire/server`,
      selectors: [{ type: "k8s", value: "ns:default" }],
      dnsNames: ["web.example", "alt.example"],
      downstream: true,
    });
    const stored = rig.spiffeId("default", "web");
    expect(stored?.metadata.finalizers).toEqual([SPIFFEID_FINALIZER]);
    expect(stored?.status?.entryId).toBe(entry?.id);
    expect(stored?.status?.conditions).toMatchObject([
      { type: "Ready", status: "True", reason: "EntrySynced" },
    ]);
  });

  it("syncs a SpiffeID once for a burst of concurrent events", async () => {
    rig.store.seed(manualSpiffeId("web"));
    rig.store.seed(manualSpiffeId("api"));
    const events = Array.from({ length: 30 }, (_, i) => sync(i % 2 === 0 ? "web" : "api"));
    const statuses = await Promise.all(events.map(async (e) => (await e).status));
    expect(new Set(statuses)).toEqual(new Set([204]));
    // Events that arrive together share one sync per SpiffeID: one create each, no second sync (which
    // would look the recorded entry up), no write conflicts.
    expect(rig.spireServer.rpcCounts.BatchCreateEntry).toBe(2);
    expect(rig.spireServer.rpcCounts.GetEntry ?? 0).toBe(0);
    expect(rig.store.writes).toEqual({ create: 0, replace: 2, status: 2, delete: 0 });
    expect((await rig.entries()).map((e) => e.spiffeId).sort()).toEqual([
      `spiffe://${TD}/api`,
      `spiffe://${TD}/web`,
    ]);
  });

  it("changes nothing when an event is replayed, in any action", async () => {
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    const before = {
      entries: await rig.entries(),
      spiffeIds: rig.store.all(),
      writes: { ...rig.store.writes },
    };
    const creates = rig.spireServer.rpcCounts.BatchCreateEntry;
    for (const action of ["add", "update", "delete"] as const) {
      expect((await rig.spiffeIdEvents.request(spiffeIdEvent(action, "default", "web"))).status).toBe(204);
    }
    expect(await rig.entries()).toEqual(before.entries);
    expect(rig.store.all()).toEqual(before.spiffeIds);
    expect(rig.store.writes).toEqual(before.writes);
    expect(rig.spireServer.rpcCounts.BatchCreateEntry).toBe(creates);
  });

  it("recreates an entry deleted by hand in SPIRE and records the new id", async () => {
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    const [first] = await rig.entries();
    await rig.spire.deleteEntries([first?.id ?? ""]);
    expect((await sync("web")).status).toBe(204);
    const [second] = await rig.entries();
    expect(second?.spiffeId).toBe(`spiffe://${TD}/web`);
    expect(second?.id).not.toBe(first?.id);
    expect(rig.spiffeId("default", "web")?.status?.entryId).toBe(second?.id);
  });

  it("reports a DNS name SPIRE refuses as Ready False (SpireRejected), answers 2xx and does not loop", async () => {
    rig.store.seed(manualSpiffeId("web", { dnsNames: ["-bad-"] }));
    expect((await sync("web")).status).toBe(204);
    expect(await rig.entries()).toEqual([]);
    const stored = rig.spiffeId("default", "web");
    expect(stored?.status?.entryId).toBeUndefined();
    expect(stored?.status?.conditions?.[0]).toMatchObject({ status: "False", reason: "SpireRejected" });
    expect(stored?.status?.conditions?.[0]?.message).toContain("DNS name");
    const statusWrites = rig.store.writes.status;
    expect(await rig.deliverSpiffeIdEvents()).toEqual([204]);
    expect(rig.store.writes.status).toBe(statusWrites);
  });

  it("reports a federated trust domain without a bundle as SpireRejected, and recovers when fixed", async () => {
    rig.store.seed(manualSpiffeId("web", { federatesWith: ["unknown.org"] }));
    await sync("web");
    expect(rig.spiffeId("default", "web")?.status?.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "SpireRejected",
    });
    const stored = present(rig.spiffeId("default", "web"));
    await rig.store.replace({ ...stored, spec: { ...stored.spec, federatesWith: ["spiffe://partner.org"] } });
    await sync("web");
    expect(await rig.entries()).toMatchObject([{ federatesWith: ["partner.org"] }]);
    expect(rig.spiffeId("default", "web")?.status?.conditions?.[0]).toMatchObject({ status: "True" });
  });

  it("reports a malformed SPIFFE ID as InvalidSpec without retrying", async () => {
    rig.store.seed(manualSpiffeId("web", { spiffeId: "spiffe://example.test/a//b" }));
    expect((await sync("web")).status).toBe(204);
    const condition = rig.spiffeId("default", "web")?.status?.conditions?.[0];
    expect(condition).toMatchObject({ status: "False", reason: "InvalidSpec" });
    expect(condition?.message).toMatch(/^malformed CRD SPIFFE ID: /);
    expect(rig.spireServer.rpcCounts.BatchCreateEntry ?? 0).toBe(0);
  });

  it("updates the same entry for DNS-name order and federatesWith changes", async () => {
    rig.store.seed(manualSpiffeId("web", { dnsNames: ["a.example", "b.example"] }));
    await sync("web");
    const [before] = await rig.entries();
    const stored = present(rig.spiffeId("default", "web"));
    await rig.store.replace({
      ...stored,
      spec: { ...stored.spec, dnsNames: ["b.example", "a.example"], federatesWith: ["partner.org"] },
    });
    await sync("web");
    const [after] = await rig.entries();
    expect(after).toMatchObject({
      id: before?.id,
      dnsNames: ["b.example", "a.example"],
      federatesWith: ["partner.org"],
    });
  });

  it("replaces the entry when the SPIFFE ID, parent or selectors change: new entry first, old one deleted", async () => {
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    const [old] = await rig.entries();
    const stored = present(rig.spiffeId("default", "web"));
    await rig.store.replace({
      ...stored,
      spec: {
        ...stored.spec,
        spiffeId: `spiffe://${TD}/web/new`,
        parentId: `spiffe://${TD}/spire/server/new`,
        selector: { namespace: "default", podName: "test" },
      },
    });
    await sync("web");
    const entries = await rig.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      spiffeId: `spiffe://${TD}/web/new`,
      parentId: `spiffe://${TD}/spire/server/new`,
    });
    expect(entries[0]?.id).not.toBe(old?.id);
    expect(rig.spiffeId("default", "web")?.status?.entryId).toBe(entries[0]?.id);
  });

  it("adopts an existing identical entry (AlreadyExists) instead of failing", async () => {
    rig.seed({
      spiffeId: `spiffe://${TD}/web`,
      parentId: `spiffe://${TD}/spire/server`,
      selectors: [{ type: "k8s", value: "ns:default" }],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
    });
    const [seeded] = await rig.entries();
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    expect(await rig.entries()).toHaveLength(1);
    expect(rig.spiffeId("default", "web")?.status?.entryId).toBe(seeded?.id);
  });

  it("deletes the entry, then removes the finalizer, when the SpiffeID is deleted", async () => {
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    await rig.store.delete("default", "web");
    expect(rig.spiffeId("default", "web")?.metadata.deletionTimestamp).toBeDefined();
    expect((await rig.spiffeIdEvents.request(spiffeIdEvent("update", "default", "web"))).status).toBe(204);
    expect(await rig.entries()).toEqual([]);
    expect(rig.spiffeId("default", "web")).toBeUndefined();
  });

  it("keeps the finalizer and answers 503 when SPIRE is down during deletion, then finishes later", async () => {
    rig.store.seed(manualSpiffeId("web"));
    await sync("web");
    await rig.store.delete("default", "web");
    rig.spireServer.injectFault({ method: "BatchDeleteEntry", code: Code.Unavailable, times: 10 });
    expect((await sync("web")).status).toBe(503);
    expect(rig.spiffeId("default", "web")?.metadata.finalizers).toEqual([SPIFFEID_FINALIZER]);
    expect(await rig.entries()).toHaveLength(1);
    rig.spireServer.clearFaults();
    expect((await sync("web")).status).toBe(204);
    expect(await rig.entries()).toEqual([]);
    expect(rig.spiffeId("default", "web")).toBeUndefined();
  });

  it("answers 503 when SPIRE is unavailable for a create, and nothing is recorded", async () => {
    rig.store.seed(manualSpiffeId("web"));
    rig.spireServer.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, times: 10 });
    expect((await sync("web")).status).toBe(503);
    expect(rig.spiffeId("default", "web")?.status).toBeUndefined();
  });

  it("re-reads and retries when someone else writes the SpiffeID meanwhile (409), without a second entry", async () => {
    rig.store.seed(manualSpiffeId("web"));
    const original = rig.store.replaceStatus.bind(rig.store);
    let interfered = false;
    rig.store.replaceStatus = async (spiffeId) => {
      if (!interfered) {
        interfered = true;
        const current = present(await rig.store.get("default", "web"));
        await rig.store.replace({ ...current, metadata: { ...current.metadata, labels: { team: "x" } } });
      }
      return original(spiffeId);
    };
    expect((await sync("web")).status).toBe(204);
    expect(await rig.entries()).toHaveLength(1);
    const stored = rig.spiffeId("default", "web");
    expect(stored?.metadata.labels).toEqual({ team: "x" });
    expect(stored?.status?.entryId).toBe((await rig.entries())[0]?.id);
  });

  it("answers 503 when the API server is unavailable", async () => {
    rig.store.failWith = new KubeApiError("API server unavailable", "unavailable", 503);
    expect((await sync("web")).status).toBe(503);
  });

  it("ignores a SpiffeID that does not exist and refuses events about other kinds", async () => {
    expect((await sync("missing")).status).toBe(204);
    const foreign = new Request("http://fn/", {
      method: "POST",
      headers: {
        "ce-id": "x",
        "ce-specversion": "1.0",
        "ce-type": "dev.knative.apiserver.ref.add",
        "ce-source": "s",
        "content-type": "application/json",
      },
      body: JSON.stringify({ apiVersion: "v1", kind: "Pod", namespace: "default", name: "p" }),
    });
    expect((await rig.spiffeIdEvents.request(foreign)).status).toBe(422);
  });
});
