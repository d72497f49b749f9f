import { describe, expect, it } from "vitest";
import { dnsNameError } from "../../../lib/planner/dns-name.js";

// Expectations checked against spire v1.15.3 x509util.ValidateLabel (golang.org/x/net v0.57.0 idna).
describe("dnsNameError (what the SPIRE server accepts)", () => {
  it.each([
    "com",
    "example.com",
    "*.example.com",
    "a.b",
    "x",
    "a_b.com",
    "AB.com",
    "a--b.com",
    "abc--d",
    "123-123-123-124.bar.pod.cluster.local",
    `${"a".repeat(63)}.com`,
    `${"abcdefghi.".repeat(25)}abc`,
  ])("accepts %s", (name) => {
    expect(dnsNameError(name)).toBeUndefined();
  });

  it.each([
    ["", "empty or only whitespace"],
    [" ", "empty or only whitespace"],
    [".", "domain ends with dot"],
    ["example.com.", "domain ends with dot"],
    ["*.foo.*.bar", "too many wildcards"],
    ["foo.*.bar", "wildcard must be first label"],
    ["a..b", "label is empty"],
    [".a", "label is empty"],
    ["-a.com", "label starts or ends with a hyphen: -a"],
    ["a-.com", "label starts or ends with a hyphen: a-"],
    ["ab--cd.com", "label has hyphens in the third and fourth positions: ab--cd"],
    [`${"a".repeat(64)}.com`, `label is longer than 63 characters: ${"a".repeat(64)}`],
    [`${"abcdefghi.".repeat(25)}abcd`, "name is longer than 253 characters"],
    ["bücher.de", "name must be ascii"],
  ])("rejects %j: %s", (name, reason) => {
    expect(dnsNameError(name)).toBe(reason);
  });

  it("is stricter than SPIRE for punycode: xn-- labels are not decoded, so they are refused", () => {
    expect(dnsNameError("xn--ls8h.org")).toBe(
      "label has hyphens in the third and fourth positions: xn--ls8h",
    );
  });
});
