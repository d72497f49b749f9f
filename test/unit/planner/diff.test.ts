import { describe, expect, it } from "vitest";
import { diff } from "../../../lib/planner/diff.js";
import type { Entry } from "../../../lib/planner/entry.js";
import { reconcileOwnership } from "../../../lib/planner/ownership.js";
import { entry, reconcileConfig, spec } from "./fixtures.js";

const ROOT = "spiffe://example.test/spire-k8s-registrar/test-cluster/node";
const isOwned = reconcileOwnership(reconcileConfig());
const podSpec = (name: string, extra = {}) =>
  spec(
    `spiffe://example.test/ns/bar/sa/${name}`,
    `${ROOT}/n1`,
    ["k8s:ns:bar", `k8s:pod-name:${name}`],
    extra,
  );
const foreign = (id: string, name: string): Entry =>
  entry(
    id,
    spec(`spiffe://example.test/manual/${name}`, "spiffe://example.test/spire/server", [
      `k8s:pod-name:${name}`,
    ]),
  );

describe("diff", () => {
  it("creates missing entries, deletes stale owned ones, leaves matching ones", () => {
    const plan = diff(
      [podSpec("a"), podSpec("b")],
      [entry("e1", podSpec("a")), entry("e2", podSpec("gone"))],
      isOwned,
    );
    expect(plan).toEqual({ create: [podSpec("b")], update: [], delete: [entry("e2", podSpec("gone"))] });
  });

  it("never touches foreign entries", () => {
    const plan = diff([], [foreign("m1", "x"), foreign("m2", "y")], isOwned);
    expect(plan).toEqual({ create: [], update: [], delete: [] });
  });

  it("treats the selector set as identity: a changed selector is create + delete, not update", () => {
    const current = entry("e1", podSpec("a"));
    const moved = spec(podSpec("a").spiffeId, podSpec("a").parentId, ["k8s:ns:bar", "k8s:pod-name:a2"]);
    expect(diff([moved], [current], isOwned)).toEqual({ create: [moved], update: [], delete: [current] });
  });

  it("matches regardless of selector order", () => {
    const reordered = spec(podSpec("a").spiffeId, podSpec("a").parentId, ["k8s:pod-name:a", "k8s:ns:bar"]);
    expect(diff([podSpec("a")], [entry("e1", reordered)], isOwned)).toEqual({
      create: [],
      update: [],
      delete: [],
    });
  });

  it.each([
    ["federatesWith added", { federatesWith: [] }, { federatesWith: ["example.io"] }],
    ["federatesWith changed", { federatesWith: ["a.org"] }, { federatesWith: ["b.org"] }],
    ["DNS names reordered (the first is the CN)", { dnsNames: ["x.y", "y.z"] }, { dnsNames: ["y.z", "x.y"] }],
    ["DNS name removed", { dnsNames: ["x.y", "y.z"] }, { dnsNames: ["x.y"] }],
    ["admin", { admin: false }, { admin: true }],
    ["downstream", { downstream: true }, { downstream: false }],
    ["x509 TTL set by desired", { x509SvidTtl: 0 }, { x509SvidTtl: 3600 }],
    ["hint set by desired", {}, { hint: "web" }],
  ])("updates in place when %s", (_name, currentExtra, desiredExtra) => {
    const current = entry("e1", podSpec("a", currentExtra));
    const plan = diff([podSpec("a", desiredExtra)], [current], isOwned);
    expect(plan).toEqual({ create: [], update: [entry("e1", podSpec("a", desiredExtra))], delete: [] });
  });

  it.each([
    [
      "federatesWith in another order",
      { federatesWith: ["a.org", "b.org"] },
      { federatesWith: ["b.org", "a.org"] },
    ],
    ["TTL and hint the registrar does not set", { x509SvidTtl: 60, jwtSvidTtl: 30, hint: "manual" }, {}],
  ])("does not update for %s", (_name, currentExtra, desiredExtra) => {
    const plan = diff([podSpec("a", desiredExtra)], [entry("e1", podSpec("a", currentExtra))], isOwned);
    expect(plan).toEqual({ create: [], update: [], delete: [] });
  });

  it("carries TTLs and hint the registrar does not set into an update", () => {
    const current = entry("e1", podSpec("a", { x509SvidTtl: 60, hint: "manual", dnsNames: ["old.name"] }));
    const plan = diff([podSpec("a", { dnsNames: ["new.name"] })], [current], isOwned);
    expect(plan.update).toEqual([
      entry("e1", podSpec("a", { x509SvidTtl: 60, hint: "manual", dnsNames: ["new.name"] })),
    ]);
  });

  it("keeps one of duplicate current entries (an up-to-date one) and deletes the other owned ones", () => {
    const stale = entry("e1", podSpec("a", { dnsNames: ["old.name"] }));
    const fresh = entry("e2", podSpec("a"));
    const another = entry("e3", podSpec("a"));
    expect(diff([podSpec("a")], [stale, fresh, another], isOwned)).toEqual({
      create: [],
      update: [],
      delete: [stale, another],
    });
  });

  it("with duplicates all outdated, updates the smallest id and deletes the rest", () => {
    const second = entry("e2", podSpec("a", { admin: true }));
    const first = entry("e1", podSpec("a", { admin: true }));
    expect(diff([podSpec("a")], [second, first], isOwned)).toEqual({
      create: [],
      update: [entry("e1", podSpec("a"))],
      delete: [second],
    });
  });

  it("deletes every owned duplicate of an undesired key", () => {
    const dupes = [entry("e2", podSpec("gone")), entry("e1", podSpec("gone"))];
    expect(diff([], dupes, isOwned).delete.map((e) => e.id)).toEqual(["e1", "e2"]);
  });

  it("leaves a desired key alone when it exists only as a differing foreign entry", () => {
    const desired = podSpec("a", { dnsNames: ["x.y"] });
    const isOwnedNothing = () => false;
    expect(diff([desired], [entry("m1", podSpec("a"))], isOwnedNothing)).toEqual({
      create: [],
      update: [],
      delete: [],
    });
  });

  it("collapses duplicate desired specs to the first", () => {
    const plan = diff(
      [podSpec("a", { dnsNames: ["first.one"] }), podSpec("a", { dnsNames: ["second.one"] })],
      [],
      isOwned,
    );
    expect(plan.create).toEqual([podSpec("a", { dnsNames: ["first.one"] })]);
  });

  it("orders its output deterministically whatever the input order", () => {
    const desired = [podSpec("c"), podSpec("a"), podSpec("b")];
    const current = [entry("z", podSpec("x")), entry("y", podSpec("w")), foreign("m", "q")];
    const forward = diff(desired, current, isOwned);
    const backward = diff([...desired].reverse(), [...current].reverse(), isOwned);
    expect(backward).toEqual(forward);
    expect(forward.create.map((s) => s.spiffeId)).toEqual(
      ["a", "b", "c"].map((n) => `spiffe://example.test/ns/bar/sa/${n}`),
    );
    expect(forward.delete.map((e) => e.id)).toEqual(["y", "z"]);
  });
});
