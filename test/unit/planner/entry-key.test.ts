import { describe, expect, it } from "vitest";
import { entryKey } from "../../../lib/planner/entry-key.js";
import { spec } from "./fixtures.js";

const base = spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x", "k8s:pod-name:y"]);

describe("entryKey (the tuple SPIRE refuses to duplicate)", () => {
  it.each([
    ["selector order", spec("spiffe://td/a", "spiffe://td/p", ["k8s:pod-name:y", "k8s:ns:x"])],
    [
      "repeated selectors",
      spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x", "k8s:pod-name:y", "k8s:ns:x"]),
    ],
    ["DNS names", { ...base, dnsNames: ["a.b"] }],
    [
      "TTL, admin, federation, hint",
      { ...base, x509SvidTtl: 60, admin: true, federatesWith: ["o.org"], hint: "h" },
    ],
  ])("ignores %s", (_name, other) => {
    expect(entryKey(other)).toBe(entryKey(base));
  });

  it.each([
    ["SPIFFE ID", { ...base, spiffeId: "spiffe://td/b" }],
    ["parent ID", { ...base, parentId: "spiffe://td/q" }],
    ["a selector value", spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x", "k8s:pod-name:z"])],
    ["a missing selector", spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x"])],
    ["an extra selector", spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x", "k8s:pod-name:y", "k8s:sa:s"])],
    ["the selector type", spec("spiffe://td/a", "spiffe://td/p", ["k8s_psat:ns:x", "k8s:pod-name:y"])],
  ])("depends on %s", (_name, other) => {
    expect(entryKey(other)).not.toBe(entryKey(base));
  });

  it("stays unambiguous when a selector value contains a newline", () => {
    const joined = spec("spiffe://td/a", "spiffe://td/p", ["k8s:ns:x\nk8s:pod-name:y"]);
    expect(entryKey(joined)).not.toBe(entryKey(base));
  });
});
