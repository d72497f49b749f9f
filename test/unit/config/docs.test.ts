import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_KEYS } from "../../../lib/config/keys.js";

describe("README.md configuration reference", () => {
  const docs = readFileSync("README.md", "utf8");
  it.each(CONFIG_KEYS.map((spec) => [spec.key]))("documents %s in a table row", (key) => {
    expect(docs).toContain(`| \`${key}\` |`);
  });
});
