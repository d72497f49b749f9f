import { describe, expect, it } from "vitest";
import { webhookPodEntryId } from "../../../lib/admission/pod-entry-id.js";

describe("webhookPodEntryId", () => {
  it("is an ID SPIRE accepts: only [A-Za-z0-9._-], well under 255 characters", () => {
    const id = webhookPodEntryId("a-cluster", "a".repeat(63), "b".repeat(253));
    expect(id).toMatch(/^[A-Za-z0-9._-]+$/);
    expect(id.length).toBeLessThan(100);
  });

  it("differs by cluster, namespace and pod name, also where joined names would be equal", () => {
    const ids = new Set([
      webhookPodEntryId("c1", "ns", "pod"),
      webhookPodEntryId("c2", "ns", "pod"),
      webhookPodEntryId("c1", "ns2", "pod"),
      webhookPodEntryId("c1", "ns", "pod2"),
      webhookPodEntryId("c1", "n", "spod"),
    ]);
    expect(ids.size).toBe(5);
  });

  it("is the same for the same pod every time", () => {
    expect(webhookPodEntryId("c1", "ns", "pod")).toBe(webhookPodEntryId("c1", "ns", "pod"));
  });
});
