import { describe, expect, it } from "vitest";
import type { DesiredSpiffeId } from "../../../lib/planner/derive-crd.js";
import type { SpiffeId, SpiffeIdSpec } from "../../../lib/planner/spiffeid.js";
import { needsRewrite, spiffeIdSpecChanges, withDesired } from "../../../lib/planner/spiffeid-changes.js";
import { spiffeIdToEntrySpec } from "../../../lib/planner/spiffeid-entry.js";
import { planEntrySync } from "../../../lib/planner/spiffeid-entry-plan.js";
import { isDerivedFor } from "../../../lib/planner/spiffeid-owner.js";
import { staleCrdEntries } from "../../../lib/planner/spiffeid-stale-entries.js";
import { nextStatus } from "../../../lib/planner/spiffeid-status.js";
import { entry, spec } from "./fixtures.js";

const TD = "example.test";
const base: SpiffeIdSpec = {
  spiffeId: `spiffe://${TD}/web`,
  parentId: `spiffe://${TD}/spire/server`,
  selector: { namespace: "default", podUid: "u1" },
  dnsNames: ["a.example", "b.example"],
};

describe("spiffeIdToEntrySpec", () => {
  it("maps the spec to an entry with selectors, DNS names in order, federation and downstream", () => {
    const result = spiffeIdToEntrySpec({
      ...base,
      federatesWith: ["spiffe://partner.org", "other.org", "partner.org"],
      downstream: true,
    });
    expect(result).toEqual({
      ok: true,
      value: {
        spiffeId: `spiffe://${TD}/web`,
        parentId: `spiffe://${TD}/spire/server`,
        selectors: [
          { type: "k8s", value: "pod-uid:u1" },
          { type: "k8s", value: "ns:default" },
        ],
        dnsNames: ["a.example", "b.example"],
        federatesWith: ["partner.org", "other.org"],
        admin: false,
        downstream: true,
      },
    });
  });

  it.each([
    [{ parentId: "spiffe://example.test/a/" }, /^malformed CRD parent ID: /],
    [{ spiffeId: "http://example.test/web" }, /^malformed CRD SPIFFE ID: /],
    [{ selector: {} }, /^spec.selector yields no SPIRE selectors/],
    [{ federatesWith: ["spiffe://BAD/x y"] }, /^malformed CRD federatesWith /],
  ])("names the malformed field (%o)", (change, message) => {
    const result = spiffeIdToEntrySpec({ ...base, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(message);
  });
});

describe("spiffeIdSpecChanges", () => {
  it("is empty for equal specs, treating absent lists as empty and selector key order as irrelevant", () => {
    expect(
      spiffeIdSpecChanges(
        { ...base, dnsNames: [] },
        { ...base, dnsNames: undefined, selector: { podUid: "u1", namespace: "default", podName: "" } },
      ),
    ).toEqual([]);
  });

  it.each([
    [{ spiffeId: `spiffe://${TD}/other` }, "spiffeId"],
    [{ parentId: `spiffe://${TD}/spire/server/x` }, "parentId"],
    [{ selector: { namespace: "default", podUid: "u2" } }, "selector"],
    [{ dnsNames: ["b.example", "a.example"] }, "dnsNames"],
    [{ federatesWith: ["partner.org"] }, "federatesWith"],
    [{ downstream: true }, "downstream"],
  ] as const)("reports %o as %s (every field, not only spiffeId)", (change, field) => {
    expect(spiffeIdSpecChanges({ ...base, ...change }, base)).toEqual([field]);
  });
});

const owner = {
  apiVersion: "v1",
  kind: "Pod",
  name: "web",
  uid: "u1",
  controller: true,
  blockOwnerDeletion: false,
};
const desired: DesiredSpiffeId = {
  metadata: { name: "web", namespace: "default", labels: { podUid: "u1" }, ownerReferences: [owner] },
  spec: base,
};
const existing: SpiffeId = {
  metadata: {
    name: "web",
    namespace: "default",
    resourceVersion: "7",
    labels: { podUid: "u1", team: "x" },
    finalizers: ["finalizers.spiffeid.spiffe.io"],
    ownerReferences: [owner],
  },
  spec: { ...base, dnsNames: ["a.example"] },
  status: { entryId: "e1" },
};

describe("needsRewrite and withDesired", () => {
  it("rewrites the spec and keeps finalizers, other labels, status and resourceVersion", () => {
    expect(needsRewrite(desired, existing)).toBe(true);
    const next = withDesired(existing, desired);
    expect(next.spec).toEqual(base);
    expect(next.metadata).toMatchObject({
      resourceVersion: "7",
      labels: { podUid: "u1", team: "x" },
      finalizers: ["finalizers.spiffeid.spiffe.io"],
      ownerReferences: [owner],
    });
    expect(next.status).toEqual({ entryId: "e1" });
    expect(needsRewrite(desired, next)).toBe(false);
  });

  it("tells derived SpiffeIDs by their controller owner's kind", () => {
    expect(isDerivedFor(existing, "Pod")).toBe(true);
    expect(isDerivedFor(existing, "Node")).toBe(false);
    expect(isDerivedFor({ metadata: { ...existing.metadata, ownerReferences: [] } }, "Pod")).toBe(false);
  });
});

describe("planEntrySync", () => {
  const wanted = spec(`spiffe://${TD}/web`, `spiffe://${TD}/spire/server`, ["k8s:ns:default"], {
    dnsNames: ["a", "b"],
  });
  it("creates when there is no entry", () => {
    expect(planEntrySync(wanted, undefined)).toEqual({ kind: "create" });
  });
  it("does nothing for an equal entry, whatever the selector order", () => {
    expect(planEntrySync(wanted, entry("e1", wanted)).kind).toBe("none");
  });
  it("updates in place for DNS order or federation changes", () => {
    expect(planEntrySync(wanted, entry("e1", wanted, { dnsNames: ["b", "a"] }))).toMatchObject({
      kind: "update",
      fields: ["dnsNames"],
    });
    expect(planEntrySync(wanted, entry("e1", wanted, { federatesWith: ["x.org"] }))).toMatchObject({
      kind: "update",
      fields: ["federatesWith"],
    });
  });
  it("replaces the entry when its identity (ID, parent, selector set) changed", () => {
    const old = entry("e1", wanted, { parentId: `spiffe://${TD}/other` });
    expect(planEntrySync(wanted, old)).toEqual({ kind: "replace", old });
  });
});

describe("nextStatus", () => {
  const now = "2026-01-01T00:00:00Z";
  const later = "2026-01-02T00:00:00Z";
  it("records the entry id and a Ready condition", () => {
    expect(nextStatus(undefined, { entryId: "e1", reason: "EntrySynced", message: "ok" }, 2, now)).toEqual({
      entryId: "e1",
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "EntrySynced",
          message: "ok",
          lastTransitionTime: now,
          observedGeneration: 2,
        },
      ],
    });
  });
  it("is undefined when only the time would change (no status write, no event loop)", () => {
    const first = nextStatus(undefined, { entryId: "e1", reason: "SpireRejected", message: "bad" }, 1, now);
    expect(
      nextStatus(first, { entryId: "e1", reason: "SpireRejected", message: "bad" }, 1, later),
    ).toBeUndefined();
  });
  it("keeps the transition time while the status stays, and other conditions", () => {
    const first = nextStatus(
      { conditions: [{ type: "Other", status: "True" }] },
      { entryId: "e1", reason: "EntrySynced", message: "ok" },
      1,
      now,
    );
    const second = nextStatus(first, { entryId: "e2", reason: "EntrySynced", message: "ok" }, 2, later);
    expect(second?.conditions).toMatchObject([{ type: "Other" }, { type: "Ready", lastTransitionTime: now }]);
    const third = nextStatus(
      second,
      { entryId: undefined, reason: "SpireRejected", message: "no" },
      2,
      later,
    );
    expect(third).toEqual({
      conditions: [
        { type: "Other", status: "True" },
        expect.objectContaining({ status: "False", reason: "SpireRejected", lastTransitionTime: later }),
      ],
    });
  });
});

describe("staleCrdEntries", () => {
  const config = { trustDomain: TD, cluster: "c1" };
  const root = `spiffe://${TD}/k8s-workload-registrar/c1/node`;
  const server = `spiffe://${TD}/spire/server`;
  const pod = entry("p", spec(`spiffe://${TD}/w`, `${root}/n1`, ["k8s:pod-uid:u"]));
  const node = entry("n", spec(`${root}/n1`, server, ["k8s_psat:cluster:c1", "k8s_psat:agent_node_uid:u"]));
  const lookAlike = entry("l", spec(`spiffe://${TD}/w`, `${root}-extra/n1`, ["k8s:pod-uid:u"]));
  const otherCluster = entry(
    "o",
    spec(`${root}/n1`, server, ["k8s_psat:cluster:c2", "k8s_psat:agent_node_uid:u"]),
  );
  const manual = entry("m", spec(`spiffe://${TD}/m`, server, ["k8s:ns:default"]));
  const all = [pod, node, lookAlike, otherCluster, manual];

  it("deletes only unrecorded entries with the registrar's CRD shape", () => {
    expect(staleCrdEntries(all, new Set(), config).map((e) => e.id)).toEqual(["p", "n"]);
  });
  it("never deletes an entry a SpiffeID records", () => {
    expect(staleCrdEntries(all, new Set(["p", "n"]), config)).toEqual([]);
  });
});
