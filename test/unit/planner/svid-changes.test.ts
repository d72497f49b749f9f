import { describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import { isUpToDate, outdatedFields } from "../../../lib/planner/svid-changes.js";

const base: EntrySpec = {
  spiffeId: "spiffe://td/a",
  parentId: "spiffe://td/p",
  selectors: [{ type: "k8s", value: "ns:a" }],
  dnsNames: ["a.ns.svc", "a"],
  federatesWith: ["x.org", "y.org"],
  admin: false,
  downstream: false,
};

describe("isUpToDate agrees with outdatedFields", () => {
  it.each<[string, Partial<EntrySpec>, Partial<EntrySpec>]>([
    ["identical", {}, {}],
    ["DNS order differs (the first name is the CN)", {}, { dnsNames: ["a", "a.ns.svc"] }],
    ["federatesWith in another order", {}, { federatesWith: ["y.org", "x.org"] }],
    ["federatesWith differs", {}, { federatesWith: ["x.org"] }],
    ["admin", {}, { admin: true }],
    ["downstream", {}, { downstream: true }],
    ["ttl set by the registrar differs", { x509SvidTtl: 60 }, { x509SvidTtl: 0 }],
    ["ttl not set by the registrar", {}, { x509SvidTtl: 60 }],
    ["hint", { hint: "h" }, {}],
  ])("%s", (_name, desired, current) => {
    const a = { ...base, ...desired };
    const b = { ...base, ...current };
    expect(isUpToDate(a, b)).toBe(outdatedFields(a, b).length === 0);
  });
});
