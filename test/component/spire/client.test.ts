import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import type { SpireClient, SpireClientOptions } from "../../../lib/spire/client.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import type { FakeSpireServer } from "../../fakes/spire-entry-server.js";
import { startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const TD = "example.org";

function spec(name: string, extra: Partial<EntrySpec> = {}): EntrySpec {
  return {
    spiffeId: `spiffe://${TD}/ns/default/sa/${name}`,
    parentId: `spiffe://${TD}/spire/agent/node-1`,
    selectors: [{ type: "k8s", value: `pod-name:${name}` }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
    ...extra,
  };
}

describe("SPIRE client against the fake server", () => {
  let fake: FakeSpireServer;
  let client: SpireClient | undefined;
  const sleeps: number[] = [];

  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: TD });
    sleeps.length = 0;
  });
  afterEach(async () => {
    client?.close();
    client = undefined;
    await fake.stop();
  });

  /** A client whose backoff sleeps are recorded instead of waited for. */
  function connect(overrides: Partial<Omit<SpireClientOptions, "transport" | "logger">> = {}): SpireClient {
    client = createSpireClient({
      transport: createUnixSocketTransport(fake.socketPath),
      logger: pino({ level: "silent" }),
      clock: {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
      random: () => 0.5,
      ...overrides,
    });
    return client;
  }

  it("retries a batch on UNAVAILABLE with growing backoff, then succeeds", async () => {
    const c = connect({ retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 10_000 } });
    fake.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, times: 2 });

    const result = await c.createEntries([spec("a")]);

    expect(result.ok && result.value.map((r) => r.ok)).toEqual([true]);
    expect(fake.rpcCounts.BatchCreateEntry).toBe(3);
    expect(sleeps).toEqual([50, 100]); // full jitter at random()=0.5 of 100, 200
  });

  it("gives up after maxAttempts and reports the last error", async () => {
    const c = connect({ retry: { maxAttempts: 3 } });
    fake.injectFault({ method: "ListEntries", code: Code.Unavailable, times: 10 });

    const result = await c.listEntries();

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ code: Code.Unavailable, method: "ListEntries" });
    expect(fake.rpcCounts.ListEntries).toBe(3);
  });

  it("does not retry INVALID_ARGUMENT", async () => {
    const c = connect();
    fake.injectFault({ method: "CountEntries", code: Code.InvalidArgument, times: 5 });

    const result = await c.countEntries();

    expect(result.ok).toBe(false);
    expect(fake.rpcCounts.CountEntries).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it("does not duplicate when a create batch is retried after its response was lost", async () => {
    const c = connect();
    fake.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, afterApplying: true });

    const result = await c.createEntries([spec("a"), spec("b")]);

    expect(fake.rpcCounts.BatchCreateEntry).toBe(2);
    expect(result.ok && result.value.map((r) => r.ok && r.existed)).toEqual([true, true]);
    expect(fake.store.all()).toHaveLength(2);
  });

  it("puts a deadline on every call and retries DEADLINE_EXCEEDED", async () => {
    const c = connect({ timeoutMs: 250, retry: { maxAttempts: 2 } });
    // Connected first, so the first attempt's deadline is not spent on the connection on a loaded machine.
    await c.countEntries();
    fake.injectFault({ method: "GetEntry", delayMs: 2_000 });

    const result = await c.getEntry("missing");

    // The first attempt hits the deadline; the retry reaches the (now prompt) server.
    expect(fake.rpcCounts.GetEntry).toBe(2);
    expect(result).toEqual({ ok: true, value: undefined });
  });

  it("reports a deadline when every attempt is too slow", async () => {
    const c = connect({ timeoutMs: 50, retry: { maxAttempts: 2 } });
    fake.injectFault({ method: "CountEntries", delayMs: 500, times: 2 });

    const result = await c.countEntries();

    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(Code.DeadlineExceeded);
  });

  it("splits writes into batches of the configured sizes", async () => {
    const c = connect({ batchSize: { create: 4, update: 3, delete: 5 } });
    const specs = Array.from({ length: 10 }, (_, i) => spec(`w${i}`));

    const created = await c.createEntries(specs);
    if (!created.ok) throw created.error;
    const entries = created.value.flatMap((r) => (r.ok ? [r.entry] : []));
    await c.updateEntries(entries.map((e) => ({ ...e, admin: true })));
    await c.deleteEntries([...entries.map((e) => e.id), "gone-1", "gone-2"]);

    expect([...(fake.batchSizes.BatchCreateEntry ?? [])].sort()).toEqual([2, 4, 4]);
    expect([...(fake.batchSizes.BatchUpdateEntry ?? [])].sort()).toEqual([1, 3, 3, 3]);
    expect([...(fake.batchSizes.BatchDeleteEntry ?? [])].sort()).toEqual([2, 5, 5]);
  });

  it("keeps at most `concurrency` batch RPCs in flight", async () => {
    const c = connect({ batchSize: { create: 1 }, concurrency: 2 });
    fake.injectFault({ method: "BatchCreateEntry", delayMs: 20, times: 8 });

    const result = await c.createEntries(Array.from({ length: 8 }, (_, i) => spec(`c${i}`)));

    expect(result.ok).toBe(true);
    expect(fake.rpcCounts.BatchCreateEntry).toBe(8);
    expect(fake.maxInFlight).toBe(2);
  });

  it("aligns per-item results with the input across batches", async () => {
    const c = connect({ batchSize: { create: 2 } });
    const first = await c.createEntries([spec("existing")]);
    if (!first.ok) throw first.error;
    const specs = [
      spec("x"),
      spec("bad", { selectors: [] }),
      spec("existing"),
      spec("y"),
      spec("bad2", { dnsNames: ["-x"] }),
    ];

    const result = await c.createEntries(specs);
    if (!result.ok) throw result.error;

    expect(result.value.map((r) => (r.ok ? (r.existed ? "existed" : r.entry.spiffeId) : r.code))).toEqual([
      specs[0]?.spiffeId,
      Code.InvalidArgument,
      "existed",
      specs[3]?.spiffeId,
      Code.InvalidArgument,
    ]);
  });

  it("stops starting batches after a batch RPC fails for good", async () => {
    const c = connect({ batchSize: { delete: 1 }, concurrency: 1, retry: { maxAttempts: 1 } });
    fake.injectFault({ method: "BatchDeleteEntry", code: Code.PermissionDenied, onCall: 2 });

    const result = await c.deleteEntries(["a", "b", "c", "d"]);

    expect(result.ok).toBe(false);
    expect(fake.rpcCounts.BatchDeleteEntry).toBe(2);
  });

  it("follows page tokens until the server returns an empty one", async () => {
    const c = connect({ pageSize: 2 });
    const created = await c.createEntries(Array.from({ length: 4 }, (_, i) => spec(`p${i}`)));
    expect(created.ok).toBe(true);

    const listed = await c.listEntries();

    expect(listed.ok && listed.value).toHaveLength(4);
    // 2 full pages, then the empty final page that carries no token.
    expect(fake.rpcCounts.ListEntries).toBe(3);
  });

  it("lets a test count the ListEntries calls with a given filter (the fake keeps every request)", async () => {
    const c = connect({ pageSize: 2 });
    await c.createEntries([
      spec("a"),
      spec("b"),
      spec("c", { parentId: `spiffe://${TD}/spire/agent/node-2` }),
    ]);

    await c.listEntries({ parentId: `spiffe://${TD}/spire/agent/node-1` });
    await c.listEntries();

    const byNode1 = fake
      .requests("ListEntries")
      .filter((r) => r.filter?.byParentId?.path === "/spire/agent/node-1");
    // Two entries under node-1: one full page, then the empty final page.
    expect(byNode1.map((r) => r.pageToken === "")).toEqual([true, false]);
    // Three entries: pages of 2 and 1, then the empty final page.
    expect(fake.requests("ListEntries").filter((r) => r.filter === undefined)).toHaveLength(3);
    expect(fake.requests("ListEntries")).toHaveLength(fake.rpcCounts.ListEntries ?? 0);
  });

  it("keeps store_svid set by someone else when updating (input mask)", async () => {
    const c = connect();
    const created = await c.createEntries([spec("keep")]);
    if (!created.ok || !created.value[0]?.ok) throw new Error("create failed");
    const id = created.value[0].entry.id;
    const stored = fake.store.all()[0];
    if (!stored) throw new Error("missing");
    fake.store.update({ ...stored, storeSvid: true }, undefined, undefined);

    const updated = await c.updateEntries([{ ...created.value[0].entry, hint: "new" }]);

    expect(updated.ok && updated.value[0]?.ok).toBe(true);
    expect(fake.store.all().find((e) => e.id === id)).toMatchObject({ storeSvid: true, hint: "new" });
  });

  it("creates an entry with store_svid and reads it back", async () => {
    const c = connect();

    const created = await c.createEntries([spec("stored", { storeSvid: true }), spec("plain")]);

    expect(created.ok && created.value.map((r) => r.ok && r.entry.storeSvid)).toEqual([true, undefined]);
    expect(fake.store.all().map((e) => e.storeSvid)).toEqual([true, false]);
    const listed = await c.listEntries();
    expect(listed.ok && listed.value.map((e) => e.storeSvid)).toEqual([true, undefined]);
  });

  it("replaces every field when asked (no input mask), as spire-controller-manager updates", async () => {
    const c = connect();
    const created = await c.createEntries([spec("all", { hint: "old", x509SvidTtl: 600, storeSvid: true })]);
    if (!created.ok || !created.value[0]?.ok) throw new Error("create failed");
    const { hint: _hint, x509SvidTtl: _ttl, storeSvid: _store, ...rest } = created.value[0].entry;

    const replaced = await c.replaceEntries([{ ...rest, jwtSvidTtl: 60 }]);

    expect(fake.requests("BatchUpdateEntry").map((r) => r.inputMask)).toEqual([undefined]);
    // What the entry no longer sets is reset on the server; what it sets is written.
    expect(fake.store.all()[0]).toMatchObject({ hint: "", x509SvidTtl: 0, storeSvid: false, jwtSvidTtl: 60 });
    expect(replaced.ok && replaced.value[0]).toMatchObject({ ok: true, entry: { jwtSvidTtl: 60 } });
    expect(replaced.ok && replaced.value[0]?.ok && replaced.value[0].entry).not.toHaveProperty("hint");
  });

  it("returns the bundle's X.509 authorities", async () => {
    await fake.stop();
    fake = await startFakeSpireServer({ trustDomain: TD, x509Authorities: [new Uint8Array([1, 2, 3])] });
    const c = connect();

    const bundle = await c.getBundle();

    expect(bundle).toEqual({
      ok: true,
      value: { trustDomain: TD, x509Authorities: [new Uint8Array([1, 2, 3])] },
    });
  });
});
