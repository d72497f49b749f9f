import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { coalesceWrites } from "../../../lib/spire/coalesce.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const spec = (name: string, selectorValue = `pod-name:${name}`): EntrySpec => ({
  spiffeId: `spiffe://example.org/ns/default/sa/${name}`,
  parentId: "spiffe://example.org/k8s-workload-registrar/c/node",
  selectors: [{ type: "k8s", value: selectorValue }],
  dnsNames: [],
  federatesWith: [],
  admin: false,
  downstream: false,
});

describe("coalesceWrites", () => {
  let fake: FakeSpireServer;
  let client: SpireClient;
  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: "example.org" });
    client = createSpireClient({
      transport: createUnixSocketTransport(fake.socketPath),
      logger: pino({ level: "silent" }),
      retry: { maxAttempts: 1 },
    });
  });
  afterEach(async () => {
    client.close();
    await fake.stop();
  });

  it("sends concurrent creates as one batch and gives each caller its own results", async () => {
    const coalesced = coalesceWrites(client);
    const [a, b, c] = await Promise.all([
      coalesced.createEntries([spec("a")]),
      coalesced.createEntries([spec("b"), spec("bad", "")]),
      coalesced.createEntries([spec("a")]),
    ]);
    expect(fake.batchSizes.BatchCreateEntry).toEqual([4]);
    expect(a).toMatchObject({ ok: true, value: [{ ok: true, existed: false }] });
    expect(b).toMatchObject({ ok: true, value: [{ ok: true }, { ok: false, code: Code.InvalidArgument }] });
    expect(c).toMatchObject({ ok: true, value: [{ ok: true, existed: true }] });
    if (a.ok && c.ok && a.value[0]?.ok && c.value[0]?.ok)
      expect(c.value[0].entry.id).toBe(a.value[0].entry.id);
  });

  it("keeps batches within the limit and fails every caller of a failed RPC", async () => {
    const coalesced = coalesceWrites(client, { maxBatch: { create: 2 } });
    fake.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, onCall: 2 });
    const results = await Promise.all(["a", "b", "c"].map((name) => coalesced.createEntries([spec(name)])));
    expect(fake.batchSizes.BatchCreateEntry).toEqual([2, 1]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
  });

  it("queues calls while maxInFlight batches are out and sends them together when one returns", async () => {
    const coalesced = coalesceWrites(client, { maxInFlight: 1 });
    fake.injectFault({ method: "BatchCreateEntry", delayMs: 50 });
    const first = coalesced.createEntries([spec("a")]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const rest = ["b", "c", "d"].map((name) => coalesced.createEntries([spec(name)]));
    expect((await Promise.all([first, ...rest])).every((r) => r.ok)).toBe(true);
    expect(fake.batchSizes.BatchCreateEntry).toEqual([1, 3]);
  });

  it("coalesces updates and deletes too, each caller getting its own items", async () => {
    const created = await client.createEntries([spec("a"), spec("b"), spec("c")]);
    if (!created.ok) throw created.error;
    const [a, b, c] = created.value.map((r) => (r.ok ? r.entry : undefined));
    const coalesced = coalesceWrites(client);
    const updates = await Promise.all(
      [a, b].map((entry) => coalesced.updateEntries([{ ...(entry as NonNullable<typeof a>), admin: true }])),
    );
    expect(updates.map((u) => u.ok && u.value[0]?.ok)).toEqual([true, true]);
    const deletes = await Promise.all([
      coalesced.deleteEntries([a?.id ?? ""]),
      coalesced.deleteEntries([c?.id ?? "", "no-such-id"]),
    ]);
    expect(fake.batchSizes.BatchUpdateEntry).toEqual([2]);
    expect(fake.batchSizes.BatchDeleteEntry).toEqual([3]);
    expect(deletes[1]).toMatchObject({
      ok: true,
      value: [
        { ok: true, existed: true },
        { ok: true, existed: false },
      ],
    });
  });

  it("never puts updates and replaces (no input mask) into the same RPC", async () => {
    const created = await client.createEntries([spec("a"), spec("b"), spec("c")]);
    if (!created.ok) throw created.error;
    const [a, b, c] = created.value.map((r) => (r.ok ? { ...r.entry, hint: "h" } : undefined));
    if (!a || !b || !c) throw new Error("create failed");
    const coalesced = coalesceWrites(client);

    const results = await Promise.all([
      coalesced.updateEntries([a]),
      coalesced.replaceEntries([b]),
      coalesced.updateEntries([c]),
    ]);

    expect(results.map((r) => r.ok && r.value[0]?.ok)).toEqual([true, true, true]);
    const sent = fake.requests("BatchUpdateEntry").map((r) => ({
      masked: r.inputMask !== undefined,
      ids: r.entries.map((e) => e.id),
    }));
    expect(sent).toHaveLength(2);
    expect(sent).toContainEqual({ masked: true, ids: [a.id, c.id] });
    expect(sent).toContainEqual({ masked: false, ids: [b.id] });
  });
});
