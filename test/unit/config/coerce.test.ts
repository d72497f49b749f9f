import { describe, expect, it } from "vitest";
import { closestKey, editDistance } from "../../../lib/config/closest-key.js";
import { decodeValue, parseDurationMs } from "../../../lib/config/coerce.js";

describe("parseDurationMs", () => {
  it.each([
    ["5s", 5000],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["1.5s", 1500],
    ["2h", 7_200_000],
    ["5", undefined],
    ["0s", undefined],
    ["-1s", undefined],
    ["5 s", undefined],
    ["", undefined],
  ])("%j -> %s", (text, expected) => {
    expect(parseDurationMs(text)).toBe(expected);
  });
});

describe("decodeValue", () => {
  it.each([
    ["bool", "True", true],
    ["bool", "f", false],
    ["int", " 42 ", 42],
    ["int", "+7", 7],
    ["string", true, "true"],
    ["stringList", ["a", 1], ["a", "1"]],
    ["stringMap", [{ a: "b" }, { c: 1 }], { a: "b", c: "1" }],
  ] as const)("accepts %s %j", (kind, raw, expected) => {
    expect(decodeValue(kind, raw)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ["int", "12abc", 'expected a number, got "12abc"'],
    ["bool", 2, "expected a boolean, got 2"],
    ["string", [{ a: "b" }], "expected a string, got a block"],
    ["stringList", [["a"]], 'expected a list of strings, got [["a"]]'],
    ["stringMap", { a: ["b"] }, 'expected a block of string values, got {"a":["b"]}'],
  ] as const)("rejects %s %j", (kind, raw, message) => {
    expect(decodeValue(kind, raw)).toEqual({ ok: false, error: message });
  });
});

describe("closestKey", () => {
  it("computes edit distance", () => {
    expect([
      editDistance("kitten", "sitting"),
      editDistance("", "abc"),
      editDistance("same", "same"),
    ]).toEqual([3, 3, 0]);
  });

  it.each([
    ["add_svc_dns_names", "add_svc_dns_name"],
    ["TRUST_DOMAN", "trust_domain"],
    ["clustr", "cluster"],
    ["metrics_address", "metrics_addr"],
    ["zzz", undefined],
  ])("suggests for %s: %s", (word, expected) => {
    expect(closestKey(word, ["add_svc_dns_name", "trust_domain", "cluster", "metrics_addr"])).toBe(expected);
  });
});
