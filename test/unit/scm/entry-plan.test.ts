/** The writes of one pass against SPIRE's entries (scm-model §5): ownership, winners' IDs, compared fields. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DeclaredKey, Declarer } from "../../../lib/scm/declare.js";
import type { RenderedEntry } from "../../../lib/scm/entry.js";
import { scmEntryKey } from "../../../lib/scm/entry.js";
import {
  type CurrentEntry,
  type EntryPlanOptions,
  entryOwnership,
  isJoinTokenEntry,
  outdatedFields,
  planEntries,
} from "../../../lib/scm/entry-plan.js";

const BY: Declarer = { kind: "ClusterSPIFFEID", name: "cr", uid: "cr-uid", metadata: undefined };
const PARENT = "spiffe://example.org/spire/agent/k8s_psat/demo/node-uid";

function rendered(name: string, extra: Partial<RenderedEntry["spec"]> = {}, ttl = 0n): RenderedEntry {
  return {
    spec: {
      spiffeId: `spiffe://example.org/${name}`,
      parentId: PARENT,
      selectors: [{ type: "k8s", value: `pod-uid:${name}` }],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
      x509SvidTtl: Number(ttl / 1_000_000_000n),
      jwtSvidTtl: 0,
      hint: "",
      storeSvid: false,
      ...extra,
    },
    x509SvidTtl: ttl,
    jwtSvidTtl: 0n,
  };
}

function declared(...entries: RenderedEntry[]): DeclaredKey[] {
  return entries.map((entry) => ({ key: scmEntryKey(entry.spec), winner: { entry, by: BY }, masked: [] }));
}

function current(id: string, name: string, extra: Partial<CurrentEntry> = {}): CurrentEntry {
  const { spec } = rendered(name);
  return { ...spec, id, x509SvidTtl: 0, jwtSvidTtl: 0, ...extra };
}

function options(extra: Partial<EntryPlanOptions> = {}): EntryPlanOptions {
  let next = 0;
  return {
    entryIdPrefix: "",
    entryIdPrefixCleanup: undefined,
    unsupportedFields: new Set(),
    newUuid: () => `uuid-${++next}`,
    ...extra,
  };
}

const ids = (entries: readonly { id: string }[]) => entries.map((entry) => entry.id);

describe("entry ownership (SCM's shouldProcessOrDeleteEntryID)", () => {
  it.each([
    ["", undefined, "7f6a-uuid", "managed"],
    ["c1.", undefined, "c1.7f6a", "managed"],
    ["c1.", undefined, "c2.7f6a", "ignored"],
    ["c1.", undefined, "7f6a", "ignored"],
    ["c1.", "", "7f6a", "deleteOnly"],
    ["c1.", "", "other.7f6a", "ignored"],
    ["c1.", "old.", "old.7f6a", "deleteOnly"],
    ["c1.", "old.", "older7f6a", "ignored"],
  ])("prefix %j cleanup %j: %s is %s", (prefix, cleanup, id, expected) => {
    expect(entryOwnership(id, { entryIdPrefix: prefix, entryIdPrefixCleanup: cleanup })).toBe(expected);
  });
});

describe("planEntries", () => {
  it("creates missing entries: with a prefix the ID is <prefix><uuid>, without one SPIRE chooses", () => {
    expect(planEntries(declared(rendered("a")), [], options()).create.map((item) => item.entry.id)).toEqual([
      undefined,
    ]);
    const plan = planEntries(declared(rendered("a"), rendered("b")), [], options({ entryIdPrefix: "c1." }));
    expect(plan.create.map((item) => item.entry.id)).toEqual(["c1.uuid-1", "c1.uuid-2"]);
    expect(plan.create[0]?.declarer).toBe(BY);
  });

  it("the winner takes the first current entry's ID; other entries of the key go; up-to-date entries stay", () => {
    const plan = planEntries(
      declared(rendered("a", { dnsNames: ["a.svc"] }), rendered("b")),
      [current("e1", "a"), current("e2", "a"), current("e3", "b")],
      options(),
    );
    expect(plan.update.map((item) => [item.entry.id, item.entry.dnsNames, item.outdated])).toEqual([
      ["e1", ["a.svc"], ["dnsNames"]],
    ]);
    expect(ids(plan.delete)).toEqual(["e2"]);
    expect(plan.unchanged).toBe(1);
  });

  it("deletes managed entries of undeclared keys, never join-token entries, never unmanaged ones", () => {
    const joinToken = current("jt", "x", {
      parentId: "spiffe://example.org/spire/agent/join_token/abc",
      selectors: [{ type: "spiffe_id", value: "spiffe://example.org/spire/agent/join_token/abc" }],
    });
    const plan = planEntries(
      [],
      [current("c1.gone", "gone"), joinToken, current("other.x", "y")],
      options({ entryIdPrefix: "c1." }),
    );
    expect(ids(plan.delete)).toEqual(["c1.gone"]);
    const unprefixed = planEntries([], [current("gone", "gone"), joinToken], options());
    expect(ids(unprefixed.delete)).toEqual(["gone"]);
  });

  it("appends cleanup deletions last, without the join-token exception", () => {
    const joinToken = current("jt", "x", {
      parentId: "spiffe://example.org/spire/agent/join_token/abc",
      selectors: [{ type: "spiffe_id", value: "x" }],
    });
    const plan = planEntries(
      declared(rendered("a")),
      [joinToken, current("c1.a", "a"), current("c1.stale", "stale")],
      options({ entryIdPrefix: "c1.", entryIdPrefixCleanup: "" }),
    );
    expect(ids(plan.delete)).toEqual(["c1.stale", "jt"]);
  });

  it("a key whose entries are all outside the prefix is created anew (those entries are not SCM's)", () => {
    const plan = planEntries(
      declared(rendered("a")),
      [current("manual", "a")],
      options({ entryIdPrefix: "c1." }),
    );
    expect(plan.create.map((item) => item.entry.id)).toEqual(["c1.uuid-1"]);
    expect(plan.delete).toEqual([]);
  });

  it("never plans to delete an entry outside the managed set except by the cleanup rule", () => {
    const id = fc
      .oneof(fc.constantFrom("c1.", "old.", ""), fc.constant("x"))
      .chain((prefix) => fc.uuid().map((uuid) => `${prefix}${uuid}`));
    fc.assert(
      fc.property(
        fc.array(fc.tuple(id, fc.constantFrom("a", "b", "c")), { maxLength: 8 }),
        fc.subarray(["a", "b"]),
        fc.constantFrom(undefined, "", "old."),
        (entries, names, cleanup) => {
          const settings = options({ entryIdPrefix: "c1.", entryIdPrefixCleanup: cleanup });
          const plan = planEntries(
            declared(...names.map((name) => rendered(name))),
            entries.map(([entryId, name]) => current(entryId, name)),
            settings,
          );
          for (const entry of plan.delete) expect(entryOwnership(entry.id, settings)).not.toBe("ignored");
          for (const item of plan.update) expect(item.entry.id.startsWith("c1.")).toBe(true);
        },
      ),
    );
  });
});

describe("outdated fields (SCM's getOutdatedEntryFields)", () => {
  it("compares TTLs as durations: a declared 1.5s differs from SPIRE's 1 on every pass", () => {
    const entry = rendered("a", {}, 1_500_000_000n);
    expect(outdatedFields(entry, current("e", "a", { x509SvidTtl: 1 }), new Set())).toEqual(["x509SvidTtl"]);
    expect(
      outdatedFields(rendered("a", {}, 2_000_000_000n), current("e", "a", { x509SvidTtl: 2 }), new Set()),
    ).toEqual([]);
  });

  it("federatesWith and DNS names compare as sorted lists in which duplicates count", () => {
    const entry = rendered("a", { federatesWith: ["b.org", "a.org"], dnsNames: ["y", "x"] });
    expect(
      outdatedFields(
        entry,
        current("e", "a", { federatesWith: ["a.org", "b.org"], dnsNames: ["x", "y"] }),
        new Set(),
      ),
    ).toEqual([]);
    expect(
      outdatedFields(
        entry,
        current("e", "a", { federatesWith: ["a.org", "b.org", "b.org"], dnsNames: ["x", "y", "y"] }),
        new Set(),
      ),
    ).toEqual(["federatesWith", "dnsNames"]);
  });

  it("jwt TTL, hint and store_svid count only when SPIRE supports them", () => {
    const entry: RenderedEntry = {
      ...rendered("a", { hint: "h", storeSvid: true, jwtSvidTtl: 60 }),
      jwtSvidTtl: 60_000_000_000n,
    };
    const stale = current("e", "a");
    expect(outdatedFields(entry, stale, new Set())).toEqual(["jwtSvidTtl", "hint", "storeSvid"]);
    expect(outdatedFields(entry, stale, new Set(["jwtSvidTtl", "hint", "storeSvid"]))).toEqual([]);
  });

  it("admin and downstream compare exactly", () => {
    expect(
      outdatedFields(rendered("a", { admin: true, downstream: true }), current("e", "a"), new Set()),
    ).toEqual(["admin", "downstream"]);
  });
});

describe("join-token entries", () => {
  it.each([
    ["spiffe://td/spire/agent/join_token/t", [{ type: "spiffe_id", value: "x" }], true],
    ["spiffe://td/spire/agent/join_token/t", [{ type: "k8s", value: "x" }], false],
    ["spiffe://td/spire/agent/x509pop/t", [{ type: "spiffe_id", value: "x" }], false],
    ["spiffe://td/spire/agent/join_token", [{ type: "spiffe_id", value: "x" }], false],
  ])("%s %j: %s", (parentId, selectors, expected) => {
    expect(isJoinTokenEntry({ parentId, selectors })).toBe(expected);
  });
});
