import { describe, expect, it } from "vitest";
import { formatSpiffeId, joinPath, parseSpiffeId, trustDomainFromString } from "../../../lib/spiffe/id.js";
import { isUnder } from "../../../lib/spiffe/is-under.js";
import { parseRelativePath } from "../../../lib/spiffe/path.js";

const BAD_CHAR = "path segment characters are limited to letters, numbers, dots, dashes, and underscores";
const BAD_TD_CHAR =
  "trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores";

describe("parseSpiffeId", () => {
  it.each([
    ["spiffe://example.org", "example.org", ""],
    ["spiffe://example.org/ns/default/sa/web", "example.org", "/ns/default/sa/web"],
    ["spiffe://td_1-x.y/A.b_c-D/9", "td_1-x.y", "/A.b_c-D/9"],
    ["spiffe://td/.a/a./.../..b", "td", "/.a/a./.../..b"],
  ])("accepts %s", (text, trustDomain, path) => {
    const parsed = parseSpiffeId(text);
    expect(parsed).toMatchObject({ ok: true, value: { trustDomain, path } });
    if (parsed.ok) expect(formatSpiffeId(parsed.value)).toBe(text);
  });

  it.each([
    ["", "cannot be empty"],
    ["example.org/a", "scheme is missing or invalid"],
    ["https://example.org/a", "scheme is missing or invalid"],
    ["SPIFFE://example.org/a", "scheme is missing or invalid"],
    ["spiffe://", "trust domain is missing"],
    ["spiffe:///a", "trust domain is missing"],
    ["spiffe://Example.org/a", BAD_TD_CHAR],
    ["spiffe://user@example.org/a", BAD_TD_CHAR],
    ["spiffe://example.org:8443/a", BAD_TD_CHAR],
    ["spiffe://example.org/", "path cannot have a trailing slash"],
    ["spiffe://example.org/a/", "path cannot have a trailing slash"],
    ["spiffe://example.org//a", "path cannot contain empty segments"],
    ["spiffe://example.org/a/./b", "path cannot contain dot segments"],
    ["spiffe://example.org/a/..", "path cannot contain dot segments"],
    ["spiffe://example.org/a?x=1", BAD_CHAR],
    ["spiffe://example.org/a#frag", BAD_CHAR],
    ["spiffe://example.org/a%20b", BAD_CHAR],
    ["spiffe://example.org/a b", BAD_CHAR],
  ])("rejects %j: %s", (text, error) => {
    expect(parseSpiffeId(text)).toEqual({ ok: false, error });
  });
});

describe("joinPath", () => {
  it("joins validated segments under the trust domain", () => {
    expect(joinPath("example.org", ["ns", "default", "sa", "web"])).toEqual({
      ok: true,
      value: "spiffe://example.org/ns/default/sa/web",
    });
  });

  it.each([
    [["a", ""], "path cannot contain empty segments"],
    [["a", ".."], "path cannot contain dot segments"],
    [["."], "path cannot contain dot segments"],
    [["a/b"], BAD_CHAR],
    [["a%2Fb"], BAD_CHAR],
  ])("rejects segments %j", (segments, error) => {
    expect(joinPath("example.org", segments)).toEqual({ ok: false, error });
  });

  it("rejects an invalid trust domain", () => {
    expect(joinPath("EXAMPLE", ["a"])).toEqual({ ok: false, error: BAD_TD_CHAR });
  });
});

describe("parseRelativePath (label, annotation and template values)", () => {
  it.each([
    ["web", ["web"]],
    ["production/example-workload", ["production", "example-workload"]],
  ])("splits %s into segments", (value, segments) => {
    expect(parseRelativePath(value)).toEqual({ ok: true, value: segments });
  });

  it.each([
    ["", "path is empty"],
    ["/web", "path cannot contain empty segments"],
    ["web/", "path cannot have a trailing slash"],
    ["a//b", "path cannot contain empty segments"],
    ["a/../b", "path cannot contain dot segments"],
    ["a b", BAD_CHAR],
  ])("rejects %j", (value, error) => {
    expect(parseRelativePath(value)).toEqual({ ok: false, error });
  });
});

describe("isUnder", () => {
  const root = "spiffe://td/spire-k8s-registrar/c1/node";
  it.each([
    ["spiffe://td/spire-k8s-registrar/c1/node/n1", true],
    ["spiffe://td/spire-k8s-registrar/c1/node/n1/deeper", true],
    ["spiffe://td/spire-k8s-registrar/c1/node", false],
    ["spiffe://td/spire-k8s-registrar/c1/node-extra/n1", false],
    ["spiffe://td/spire-k8s-registrar/c1/nodefoo", false],
    ["spiffe://other/spire-k8s-registrar/c1/node/n1", false],
    ["spiffe://td/spire-k8s-registrar/c1", false],
    ["not an id", false],
  ])("%s under the root: %s", (id, expected) => {
    expect(isUnder(id, root)).toBe(expected);
  });
});

describe("trustDomainFromString (go-spiffe's TrustDomainFromString)", () => {
  it.each([
    ["example.org", { ok: true, value: "example.org" }],
    ["spiffe://example.org", { ok: true, value: "example.org" }],
    ["spiffe://example.org/ns/a", { ok: true, value: "example.org" }],
    ["", { ok: false, error: "trust domain is missing" }],
    ["Example.org", { ok: false, error: BAD_TD_CHAR }],
    ["spiffe:/example.org", { ok: false, error: "scheme is missing or invalid" }],
    ["spiffe://", { ok: false, error: "trust domain is missing" }],
    ["spiffe://example.org/", { ok: false, error: "path cannot have a trailing slash" }],
  ])("%j", (value, expected) => {
    expect(trustDomainFromString(value)).toEqual(expected);
  });
});
