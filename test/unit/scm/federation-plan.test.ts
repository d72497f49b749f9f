/** The federation pass (scm-model §4): oldest claimant wins a trust domain, no scoping of deletions. */
import { describe, expect, it } from "vitest";
import { type CurrentRelationship, planFederation } from "../../../lib/scm/federation-plan.js";
import type { CustomResourceJson } from "../../../lib/scm/objects.js";

function cftd(
  name: string,
  trustDomain: string,
  meta: { created?: string; uid?: string; className?: string; url?: string } = {},
): CustomResourceJson {
  return {
    metadata: { name, uid: meta.uid ?? name, creationTimestamp: meta.created ?? "2024-01-01T00:00:00Z" },
    spec: {
      trustDomain,
      bundleEndpointURL: meta.url ?? `https://${trustDomain}:8443`,
      bundleEndpointProfile: { type: "https_web" },
      ...(meta.className === undefined ? {} : { className: meta.className }),
    },
  };
}

function relationship(trustDomain: string, url = `https://${trustDomain}:8443`): CurrentRelationship {
  return { trustDomain, bundleEndpointUrl: url, bundleEndpointProfile: { type: "https_web" } };
}

const CLASSLESS = { className: "", watchClassless: false };

describe("planFederation", () => {
  it("creates missing, updates changed, deletes undeclared (even relationships made by hand)", () => {
    const plan = planFederation(
      [cftd("a", "a.org"), cftd("b", "b.org", { url: "https://b.org/new" })],
      [relationship("b.org"), relationship("manual.org")],
      CLASSLESS,
    );
    expect(plan.create.map((item) => item.trustDomain)).toEqual(["a.org"]);
    expect(plan.update.map((item) => item.bundleEndpointUrl)).toEqual(["https://b.org/new"]);
    expect(plan.delete.map((item) => item.trustDomain)).toEqual(["manual.org"]);
  });

  it("the oldest CR of a trust domain wins (then the smaller UID); later ones are ignored as conflicts", () => {
    const plan = planFederation(
      [
        cftd("young", "a.org", { created: "2024-05-01T00:00:00Z", url: "https://young" }),
        cftd("old-z", "a.org", { created: "2024-01-01T00:00:00Z", uid: "z", url: "https://old-z" }),
        cftd("old-a", "a.org", { created: "2024-01-01T00:00:00Z", uid: "a", url: "https://old-a" }),
      ],
      [],
      CLASSLESS,
    );
    expect(plan.create.map((item) => item.bundleEndpointUrl)).toEqual(["https://old-a"]);
    expect(plan.ignored).toEqual([
      { name: "old-z", reason: "conflict", detail: "old-a" },
      { name: "young", reason: "conflict", detail: "old-a" },
    ]);
  });

  it("ignores invalid CRs and CRs of another class", () => {
    const invalid = {
      ...cftd("bad", "a.org"),
      spec: {
        trustDomain: "a.org",
        bundleEndpointURL: "http://a.org",
        bundleEndpointProfile: { type: "https_web" },
      },
    };
    const plan = planFederation(
      [invalid, cftd("blue", "b.org", { className: "blue" })],
      [relationship("b.org")],
      CLASSLESS,
    );
    expect(plan.ignored).toEqual([
      {
        name: "bad",
        reason: "invalid",
        detail: { kind: "invalid", message: "invalid bundleEndpointURL value: scheme must be https" },
      },
    ]);
    expect(plan.delete.map((item) => item.trustDomain)).toEqual(["b.org"]);
    expect(plan.create).toEqual([]);
  });
});
