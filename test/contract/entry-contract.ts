/**
 * One behavioural contract for the SPIRE entry API as the registrar's client sees it, run against
 * the in-memory fake (component tests) and the real spire-server (e2e). Every test works under its
 * own random parent ID, so tests share a server without seeing each other's entries.
 */
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Entry, EntrySpec } from "../../lib/planner/entry.js";
import type { SpireClient, SpireClientOptions, SpireResult } from "../../lib/spire/client.js";

/** A server under test and a way to get clients for it. */
export interface EntryContractTarget {
  readonly trustDomain: string;
  /** A trust domain the server holds a bundle for, so entries may federate with it. */
  readonly federatedTrustDomain?: string;
  createClient(overrides?: Partial<Omit<SpireClientOptions, "transport" | "logger">>): SpireClient;
  stop(): Promise<void>;
}

function value<T>(result: SpireResult<T>): T {
  if (!result.ok) throw new Error(`SPIRE call failed: ${result.error.message}`, { cause: result.error });
  return result.value;
}

/** The spec part of an entry, for comparing what was written with what is read back. */
function specOf(entry: Entry): EntrySpec {
  const { id: _id, revisionNumber: _revision, createdAt: _created, ...spec } = entry;
  return spec;
}

function sortedLists(spec: EntrySpec): EntrySpec {
  const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return {
    ...spec,
    selectors: [...spec.selectors].sort((a, b) => byText(a.type, b.type) || byText(a.value, b.value)),
    dnsNames: [...spec.dnsNames].sort(byText),
  };
}

/** Defines the contract suite under `describe(name)`; `setup` runs once before all tests. */
export function defineEntryContract(name: string, setup: () => Promise<EntryContractTarget>): void {
  describe(`SPIRE entry API contract: ${name}`, () => {
    let target: EntryContractTarget | undefined;
    let client: SpireClient | undefined;
    const started = (): { target: EntryContractTarget; client: SpireClient } => {
      if (!target || !client) throw new Error("contract target did not start (see beforeAll)");
      return { target, client };
    };

    beforeAll(async () => {
      target = await setup();
      client = target.createClient();
    });
    afterAll(async () => {
      client?.close();
      await target?.stop();
    });

    /** A fresh namespace: a parent ID and a factory of valid specs under it. */
    function scope() {
      const { target } = started();
      const td = target.trustDomain;
      const run = randomUUID();
      const parentId = `spiffe://${td}/spire/agent/contract/${run}`;
      const spec = (name: string, extra: Partial<EntrySpec> = {}): EntrySpec => ({
        spiffeId: `spiffe://${td}/contract/${run}/${name}`,
        parentId,
        selectors: [
          { type: "k8s", value: `ns:${run}` },
          { type: "k8s", value: `pod-name:${name}` },
        ],
        dnsNames: [],
        federatesWith: [],
        admin: false,
        downstream: false,
        ...extra,
      });
      return { td, run, parentId, spec };
    }

    it("creates an entry and reads back every field through get and list", async () => {
      const { target, client } = started();
      const { parentId, spec } = scope();
      const written = spec("full", {
        dnsNames: ["full.example.test", "*.full.example.test"],
        federatesWith: target.federatedTrustDomain ? [target.federatedTrustDomain] : [],
        admin: true,
        downstream: true,
        x509SvidTtl: 3600,
        jwtSvidTtl: 300,
        hint: "contract",
      });

      const [created] = value(await client.createEntries([written]));
      expect(created).toMatchObject({ ok: true, existed: false });
      if (!created?.ok) throw new Error("create failed");
      expect(created.entry.id).not.toBe("");
      // A fresh create answers with selectors and DNS names sorted; reads keep the written order.
      expect(specOf(created.entry)).toEqual(sortedLists(written));
      expect(created.entry.createdAt).toBeGreaterThan(0n);

      const fetched = value(await client.getEntry(created.entry.id));
      expect(fetched && specOf(fetched)).toEqual(written);
      expect(fetched?.revisionNumber).toBe(created.entry.revisionNumber);

      const listed = value(await client.listEntries({ parentId }));
      expect(listed.map((e) => e.id)).toEqual([created.entry.id]);
      expect(listed[0] && specOf(listed[0])).toEqual(written);
    });

    it("answers a duplicate create with the existing entry, in another call or the same batch", async () => {
      const { client } = started();
      const { parentId, spec } = scope();
      const first = value(await client.createEntries([spec("dup")]))[0];
      if (!first?.ok) throw new Error("create failed");

      // Same identity (selectors in another order), different other fields: still the existing entry.
      const again = spec("dup", { hint: "different", selectors: [...spec("dup").selectors].reverse() });
      const results = value(await client.createEntries([again, again]));
      for (const result of results) {
        expect(result).toMatchObject({ ok: true, existed: true, entry: { id: first.entry.id } });
        if (result.ok) expect(result.entry.hint).toBeUndefined();
      }
      expect(value(await client.listEntries({ parentId }))).toHaveLength(1);
    });

    it("treats a different selector set as a different entry", async () => {
      const { client } = started();
      const { parentId, spec } = scope();
      const base = spec("sel");
      const results = value(
        await client.createEntries([
          base,
          { ...base, selectors: [...base.selectors, { type: "k8s", value: "sa:x" }] },
        ]),
      );
      expect(results.map((r) => r.ok && r.existed)).toEqual([false, false]);
      expect(value(await client.countEntries({ parentId }))).toBe(2);
    });

    it("rejects invalid entries per item with InvalidArgument and creates the rest of the batch", async () => {
      const { client } = started();
      const { td, parentId, spec } = scope();
      const invalid: EntrySpec[] = [
        spec("other-td", { spiffeId: "spiffe://other.test/workload" }),
        spec("bad-td", { spiffeId: "spiffe://Bad_TD/workload" }),
        spec("root", { spiffeId: `spiffe://${td}` }),
        spec("reserved", { spiffeId: `spiffe://${td}/spire/agent/x` }),
        spec("no-selectors", { selectors: [] }),
        spec("colon-type", { selectors: [{ type: "k8s:ns", value: "default" }] }),
        spec("empty-value", { selectors: [{ type: "k8s", value: "" }] }),
        spec("empty-type", { selectors: [{ type: "", value: "x" }] }),
        spec("dns-trailing-dot", { dnsNames: ["a.example.test."] }),
        spec("dns-leading-hyphen", { dnsNames: ["-a.example.test"] }),
        spec("dns-long-label", { dnsNames: [`${"a".repeat(64)}.example.test`] }),
        spec("dns-bad-punycode", { dnsNames: ["xn--abc.example.test"] }),
        spec("dns-inner-wildcard", { dnsNames: ["a.*.example.test"] }),
        spec("bad-parent", { parentId: `spiffe://${td}` }),
        spec("federates-bad-td", { federatesWith: ["Not A TD"] }),
      ];
      // SPIRE's checks are looser than RFC 1123: an underscore is accepted.
      const batch = [spec("ok-1"), ...invalid, spec("ok-2", { dnsNames: ["a_b.example.test"] })];
      const results = value(await client.createEntries(batch));

      expect(results).toHaveLength(batch.length);
      expect(results[0]).toMatchObject({ ok: true, existed: false });
      expect(results.at(-1)).toMatchObject({ ok: true, existed: false });
      results.slice(1, -1).forEach((result, i) => {
        expect({ name: invalid[i]?.spiffeId, code: result.ok ? "ok" : result.code }).toEqual({
          name: invalid[i]?.spiffeId,
          code: Code.InvalidArgument,
        });
      });
      const listed = value(await client.listEntries({ parentId }));
      expect(listed.map((e) => e.spiffeId).sort()).toEqual([spec("ok-1").spiffeId, spec("ok-2").spiffeId]);
    });

    it("fails an entry that federates with a trust domain without a bundle, alone", async () => {
      const { client } = started();
      const { parentId, spec } = scope();
      const results = value(
        await client.createEntries([spec("fed", { federatesWith: ["no-bundle.test"] }), spec("plain")]),
      );
      expect(results[0]).toMatchObject({ ok: false, code: Code.Internal });
      expect(results[1]).toMatchObject({ ok: true });
      expect(value(await client.countEntries({ parentId }))).toBe(1);
    });

    it("deletes entries, and treats deleting a missing id as success", async () => {
      const { client } = started();
      const { spec } = scope();
      const created = value(await client.createEntries([spec("del")]))[0];
      if (!created?.ok) throw new Error("create failed");
      const missing = randomUUID();

      const results = value(await client.deleteEntries([created.entry.id, missing, created.entry.id]));
      expect(results).toEqual([
        { ok: true, id: created.entry.id, existed: true },
        { ok: true, id: missing, existed: false },
        { ok: true, id: created.entry.id, existed: false },
      ]);
      expect(value(await client.getEntry(created.entry.id))).toBeUndefined();
    });

    it("pages through more entries than fit in a page", async () => {
      const { target } = started();
      const { parentId, spec } = scope();
      const paged = target.createClient({ pageSize: 3, batchSize: { create: 4 } });
      try {
        const specs = Array.from({ length: 10 }, (_, i) => spec(`page-${i}`));
        const created = value(await paged.createEntries(specs));
        expect(created.every((r) => r.ok && !r.existed)).toBe(true);

        const listed = value(await paged.listEntries({ parentId }));
        expect(listed.map((e) => e.spiffeId).sort()).toEqual(specs.map((s) => s.spiffeId).sort());
        expect(new Set(listed.map((e) => e.id)).size).toBe(10);
        expect(value(await paged.countEntries({ parentId }))).toBe(10);
      } finally {
        paged.close();
      }
    });

    it("updates the registrar's fields by id and bumps the revision", async () => {
      const { client } = started();
      const { spec } = scope();
      const created = value(
        await client.createEntries([spec("upd", { dnsNames: ["old.example.test"], hint: "old" })]),
      )[0];
      if (!created?.ok) throw new Error("create failed");

      const changed: Entry = {
        ...created.entry,
        dnsNames: ["new.example.test", "also.example.test"],
        selectors: [{ type: "k8s", value: "ns:updated" }],
        x509SvidTtl: 600,
        hint: undefined,
        admin: true,
      };
      const missing: Entry = { ...changed, id: randomUUID() };
      const invalid: Entry = { ...changed, selectors: [] };
      const results = value(await client.updateEntries([changed, missing, invalid]));

      expect(results[0]).toMatchObject({ ok: true });
      expect(results[1]).toMatchObject({ ok: false, code: Code.NotFound });
      expect(results[2]).toMatchObject({ ok: false, code: Code.InvalidArgument });
      const fetched = value(await client.getEntry(created.entry.id));
      expect(fetched && specOf(fetched)).toEqual(specOf(changed));
      expect(fetched?.revisionNumber).toBe((created.entry.revisionNumber ?? 0n) + 1n);
    });

    it("filters by SPIFFE ID, parent ID, selectors (exact, subset, superset, any) and hint", async () => {
      const { client } = started();
      const { run, parentId, spec } = scope();
      const a = { type: "unix", value: `uid:${run}-a` };
      const b = { type: "unix", value: `uid:${run}-b` };
      const c = { type: "unix", value: `uid:${run}-c` };
      const specs = [
        spec("only-a", { selectors: [a], hint: "h1" }),
        spec("a-b", { selectors: [a, b] }),
        spec("a-b-c", { selectors: [a, b, c], hint: "h1" }),
      ];
      value(await client.createEntries(specs));
      const names = async (filter: Parameters<SpireClient["listEntries"]>[0]) =>
        value(await client.listEntries(filter))
          .map((e) => e.spiffeId.split("/").at(-1))
          .sort();

      expect(await names({ spiffeId: specs[1]?.spiffeId })).toEqual(["a-b"]);
      expect(await names({ parentId })).toEqual(["a-b", "a-b-c", "only-a"]);
      expect(await names({ selectors: { selectors: [a, b], match: "exact" } })).toEqual(["a-b"]);
      expect(await names({ selectors: { selectors: [a, b], match: "subset" } })).toEqual(["a-b", "only-a"]);
      expect(await names({ selectors: { selectors: [a, b], match: "superset" } })).toEqual(["a-b", "a-b-c"]);
      expect(
        await names({ selectors: { selectors: [c, { type: "unix", value: "none" }], match: "any" } }),
      ).toEqual(["a-b-c"]);
      expect(await names({ parentId, hint: "h1" })).toEqual(["a-b-c", "only-a"]);
      expect(
        value(await client.countEntries({ parentId, selectors: { selectors: [b], match: "superset" } })),
      ).toBe(2);
    });

    it("rejects a malformed filter as a whole call", async () => {
      const { client } = started();
      const result = await client.listEntries({ parentId: "spiffe://other.test/agent" });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.error.code).toBe(Code.InvalidArgument);
    });
  });
}
