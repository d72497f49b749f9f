import { describe, expect, it } from "vitest";
import { parseFlags } from "../../../bin/flags.js";

const SPECS = { config: { takesValue: true }, verbose: { takesValue: false } };

describe("parseFlags", () => {
  it.each([
    [["-config", "a"], "a"],
    [["--config", "a"], "a"],
    [["-config=a"], "a"],
    [["--config=a=b"], "a=b"],
  ])("reads %j", (args, expected) => {
    const result = parseFlags(args, SPECS);
    expect(result.ok && result.value.values.get("config")).toBe(expected);
  });

  it("reads switches and positionals, and stops at --", () => {
    const result = parseFlags(["x", "-verbose", "--", "-config"], SPECS);
    expect(result.ok && [[...result.value.values], result.value.positionals]).toEqual([
      [["verbose", true]],
      ["x", "-config"],
    ]);
  });

  it.each([
    [["-nope"], "unknown flag: -nope"],
    [["--config"], "flag needs an argument: -config"],
    [["-verbose=maybe"], 'invalid value "maybe" for switch -verbose'],
  ])("rejects %j", (args, message) => {
    expect(parseFlags(args, SPECS)).toEqual({ ok: false, error: message });
  });
});
