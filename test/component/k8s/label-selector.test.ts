/** The fakes' label selectors follow the API server's rules, so tests of selecting readers mean something. */
import { describe, expect, it } from "vitest";
import { parseLabelSelector } from "../../fakes/label-selector.js";

const SERVICE = "kubernetes.io/service-name";
const web = { [SERVICE]: "web", tier: "front" };
const api = { [SERVICE]: "api" };
const none = {};

function matching(selector: string): string[] {
  const parsed = parseLabelSelector(selector);
  if (!parsed.ok) throw new Error(parsed.error);
  return Object.entries({ web, api, none })
    .filter(([, labels]) => parsed.matches(labels))
    .map(([name]) => name);
}

describe("label selectors of the fake API servers", () => {
  it.each([
    ["", ["web", "api", "none"]],
    [`${SERVICE}=web`, ["web"]],
    [`${SERVICE}==web`, ["web"]],
    [`${SERVICE}!=web`, ["api", "none"]],
    [`${SERVICE} in (web, api)`, ["web", "api"]],
    [`${SERVICE} notin (web)`, ["api", "none"]],
    [SERVICE, ["web", "api"]],
    [`!${SERVICE}`, ["none"]],
    [`${SERVICE}=web,tier=front`, ["web"]],
    [`${SERVICE}=web,tier=back`, []],
    [`${SERVICE}=`, []],
  ])("%j selects %j", (selector, expected) => {
    expect(matching(selector)).toEqual(expected);
  });

  it.each(["a b", "=web", "key=a=b", "key in a", "-key=x", `key=${"v".repeat(64)}`])(
    "refuses %j as the API server does",
    (selector) => {
      const parsed = parseLabelSelector(selector);
      expect(parsed.ok).toBe(false);
      expect(parsed.ok ? "" : parsed.error).toMatch(/^unable to parse requirement: /);
    },
  );
});
