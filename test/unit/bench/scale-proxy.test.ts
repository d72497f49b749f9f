/** How `npm run bench:scale` counts SPIRE RPCs: gRPC bodies read without decoding, and the counting proxy. */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import { countField, countInBody, grpcMessages } from "../../bench/scale/grpc-count.js";
import { LIST_ALL, LIST_FILTERED, type SpireProxy, startSpireProxy } from "../../bench/scale/spire-proxy.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

/** A gRPC frame around `message`. */
function frame(message: number[], compressed = 0): number[] {
  const n = message.length;
  return [compressed, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255, ...message];
}

describe("gRPC bodies", () => {
  // field 1 (bytes "ab") twice, field 2 varint 300, field 3 fixed64, field 4 fixed32, field 1 once more
  const message = [
    0x0a, 2, 0x61, 0x62, 0x0a, 0, 0x10, 0xac, 0x02, 0x19, 1, 2, 3, 4, 5, 6, 7, 8, 0x25, 1, 2, 3, 4, 0x0a, 1,
    0x7a,
  ];

  it("counts a top-level field over every wire type, and over every message of a body", () => {
    expect(countField(Uint8Array.from(message), 1)).toBe(3);
    expect(countField(Uint8Array.from(message), 2)).toBe(1);
    expect(countField(Uint8Array.from(message), 9)).toBe(0);
    expect(countField(new Uint8Array(), 1)).toBe(0);
    const body = Uint8Array.from([...frame(message), ...frame([0x0a, 0]), ...frame([])]);
    expect(grpcMessages(body)?.map((m) => m.length)).toEqual([message.length, 2, 0]);
    expect(countInBody(body, 1)).toBe(4);
  });

  it("gives up on what it cannot read: cut short, compressed, not protobuf", () => {
    expect(countField(Uint8Array.from([0x0a, 5, 1]), 1)).toBeUndefined();
    expect(countField(Uint8Array.from([0x0b]), 1)).toBeUndefined(); // wire type 3, a group
    expect(countField(Uint8Array.from([0x10, 0x80]), 2)).toBeUndefined();
    expect(grpcMessages(Uint8Array.from(frame(message).slice(0, 10)))).toBeUndefined();
    expect(countInBody(Uint8Array.from(frame(message, 1)), 1)).toBeUndefined();
  });
});

describe("counting proxy", () => {
  const TD = "example.org";
  let dir: string;
  let fake: FakeSpireServer;
  let proxy: SpireProxy;
  let client: SpireClient;

  const spec = (name: string): EntrySpec => ({
    spiffeId: `spiffe://${TD}/ns/a/sa/${name}`,
    parentId: `spiffe://${TD}/spire-k8s-registrar/bench/node/n-1`,
    selectors: [
      { type: "k8s", value: "ns:a" },
      { type: "k8s", value: `pod-name:${name}` },
    ],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "proxy-"));
    fake = await startFakeSpireServer({ trustDomain: TD });
    proxy = await startSpireProxy(fake.socketPath, join(dir, "p.sock"));
    client = createSpireClient({
      transport: createUnixSocketTransport(proxy.socketPath),
      logger: pino({ level: "silent" }),
      pageSize: 2,
      batchSize: { create: 2, delete: 200 },
      retry: { maxAttempts: 1 },
    });
  });
  afterEach(async () => {
    client.close();
    await proxy.close();
    await fake.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("passes calls through and counts calls, failures and items per method, full lists apart", async () => {
    const created = await client.createEntries(["p1", "p2", "p3", "p4", "p5"].map(spec));
    expect(created.ok && created.value.every((r) => r.ok)).toBe(true);
    const before = Date.now();
    const all = await client.listEntries();
    expect(all.ok && all.value.length).toBe(5);
    const filtered = await client.listEntries({
      selectors: { selectors: [{ type: "k8s", value: "pod-name:p2" }], match: "any" },
    });
    expect(filtered.ok && filtered.value.map((e) => e.spiffeId)).toEqual([`spiffe://${TD}/ns/a/sa/p2`]);
    const ids = all.ok ? all.value.slice(0, 2).map((e) => e.id) : [];
    const deleted = await client.deleteEntries(ids);
    expect(deleted.ok && deleted.value.every((r) => r.ok)).toBe(true);
    fake.injectFault({ method: "ListEntries", code: Code.Unavailable });
    expect((await client.listEntries()).ok).toBe(false);

    expect(proxy.counts()).toEqual({
      BatchCreateEntry: { calls: 3, failed: 0, items: 5 },
      // pages of 2 until an empty one, as SPIRE pages (2, 2, 1, 0), and the failed call
      [LIST_ALL]: { calls: 5, failed: 1, items: 5 },
      [LIST_FILTERED]: { calls: 2, failed: 0, items: 1 },
      BatchDeleteEntry: { calls: 1, failed: 0, items: 2 },
    });
    expect(proxy.fullLists.map((call) => call.entries)).toEqual([2, 2, 1, 0, 0]);
    for (const call of proxy.fullLists) {
      expect(call.startMs).toBeGreaterThanOrEqual(before);
      expect(call.endMs).toBeGreaterThanOrEqual(call.startMs);
    }
    expect(fake.store.all()).toHaveLength(3);
  });
});
