import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { coalesceCreates } from "../../../lib/spire/coalesce.js";
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

describe("coalesceCreates", () => {
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
    const coalesced = coalesceCreates(client);
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
    const coalesced = coalesceCreates(client, 2);
    fake.injectFault({ method: "BatchCreateEntry", code: Code.Unavailable, onCall: 2 });
    const results = await Promise.all(["a", "b", "c"].map((name) => coalesced.createEntries([spec(name)])));
    expect(fake.batchSizes.BatchCreateEntry).toEqual([2, 1]);
    expect(results.map((r) => r.ok)).toEqual([true, true, false]);
  });
});
