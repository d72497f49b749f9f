import { describe, expect, it } from "vitest";
import {
  crdOwnership,
  ownershipFor,
  reconcileOwnership,
  webhookOwnership,
} from "../../../lib/planner/ownership.js";
import { entry, reconcileConfig, spec } from "./fixtures.js";

const ROOT = "spiffe://example.test/spire-k8s-registrar/test-cluster/node";
const SERVER = "spiffe://example.test/spire/server";
const ALIAS = "spiffe://example.test/k8s-workload-registrar/test-cluster/node";
const sel = ["k8s:ns:a", "k8s:pod-name:b"];

describe("reconcile ownership (by path segments under the root)", () => {
  const isOwned = reconcileOwnership(reconcileConfig());
  it.each([
    [
      "pod entry: parent is a node under the root",
      spec("spiffe://example.test/ns/a/sa/s", `${ROOT}/n1`, sel),
      true,
    ],
    ["node entry: SPIFFE ID under the root", spec(`${ROOT}/n1`, SERVER, sel), true],
    ["look-alike parent .../node-extra/...", spec("spiffe://example.test/x", `${ROOT}-extra/n1`, sel), false],
    ["look-alike ID .../nodefoo", spec(`${ROOT}foo`, SERVER, sel), false],
    ["the root itself", spec(ROOT, SERVER, sel), false],
    [
      "another cluster",
      spec("spiffe://example.test/x", "spiffe://example.test/spire-k8s-registrar/other/node/n1", sel),
      false,
    ],
    [
      "another trust domain",
      spec("spiffe://other.test/x", "spiffe://other.test/spire-k8s-registrar/test-cluster/node/n1", sel),
      false,
    ],
    ["a webhook-mode entry", spec("spiffe://example.test/x", ALIAS, sel), false],
    ["a manual entry", spec("spiffe://example.test/x", SERVER, sel), false],
  ])("%s: %s", (_name, candidate, owned) => {
    expect(isOwned(entry("id1", candidate))).toBe(owned);
  });
});

describe("webhook ownership (parent is the cluster node alias)", () => {
  const isOwned = webhookOwnership(reconcileConfig({ mode: "webhook" }));
  it.each([
    ["pod entry under the alias", spec("spiffe://example.test/x", ALIAS, sel), true],
    ["the alias entry itself", spec(ALIAS, SERVER, ["k8s_psat:cluster:test-cluster"]), true],
    ["parent below the alias (a CRD-mode node)", spec("spiffe://example.test/x", `${ALIAS}/n1`, sel), false],
    [
      "same selectors, other parent (the Go webhook deleted these)",
      spec("spiffe://example.test/x", SERVER, sel),
      false,
    ],
    ["alias ID under another parent", spec(ALIAS, "spiffe://example.test/other", sel), false],
  ])("%s: %s", (_name, candidate, owned) => {
    expect(isOwned(entry("id1", candidate))).toBe(owned);
  });
});

describe("ownership by mode", () => {
  it("CRD mode owns exactly the recorded entry ids", () => {
    const isOwned = crdOwnership(new Set(["e1"]));
    const anything = spec("spiffe://example.test/x", SERVER, sel);
    expect([isOwned(entry("e1", anything)), isOwned(entry("e2", anything))]).toEqual([true, false]);
  });

  it("ownershipFor picks the mode's rule and refuses CRD mode", () => {
    const candidate = entry("id1", spec("spiffe://example.test/x", ALIAS, sel));
    expect(ownershipFor(reconcileConfig({ mode: "webhook" }))(candidate)).toBe(true);
    expect(ownershipFor(reconcileConfig())(candidate)).toBe(false);
    expect(() => ownershipFor(reconcileConfig({ mode: "crd" }))).toThrow(/crdOwnership/);
  });
});
