/** The fake SpiffeID API must enforce the API server rules the CRD shell depends on. */
import { describe, expect, it } from "vitest";
import { createFakeSpiffeIdStore } from "../../fakes/spiffeid-store.js";
import { present } from "./harness.js";

const body = {
  metadata: { name: "web", namespace: "default" },
  spec: { spiffeId: "spiffe://td/web", parentId: "spiffe://td/p", selector: { namespace: "default" } },
};

describe("fake SpiffeID store", () => {
  it("answers 409 for a duplicate create and for a stale resourceVersion", async () => {
    const store = createFakeSpiffeIdStore();
    const created = await store.create(body);
    await expect(store.create(body)).rejects.toMatchObject({ kind: "conflict", status: 409 });
    await store.replace({ ...created, spec: { ...created.spec, dnsNames: ["a"] } });
    await expect(store.replace(created)).rejects.toMatchObject({ kind: "conflict" });
    await expect(store.replaceStatus(created)).rejects.toMatchObject({ kind: "conflict" });
  });

  it("writes status only through the status subresource, and counts spec changes in generation", async () => {
    const store = createFakeSpiffeIdStore();
    const created = await store.create({ ...body, status: { entryId: "ignored" } } as typeof body);
    expect(created.status).toBeUndefined();
    const replaced = await store.replace({ ...created, status: { entryId: "also-ignored" } });
    expect(replaced.status).toBeUndefined();
    expect(replaced.metadata.generation).toBe(1);
    const withStatus = await store.replaceStatus({
      ...replaced,
      spec: { ...replaced.spec, dnsNames: ["x"] },
      status: { entryId: "e1" },
    });
    expect(withStatus.status).toEqual({ entryId: "e1" });
    expect(withStatus.spec.dnsNames).toBeUndefined();
    expect(
      (await store.replace({ ...withStatus, spec: { ...withStatus.spec, dnsNames: ["x"] } })).metadata
        .generation,
    ).toBe(2);
  });

  it("keeps a deleted object with finalizers until the last one is removed, and refuses new finalizers", async () => {
    const store = createFakeSpiffeIdStore(() => "2026-01-01T00:00:00Z");
    const created = await store.create({ ...body, metadata: { ...body.metadata, finalizers: ["f1"] } });
    await expect(store.delete("default", "web", "wrong-uid")).rejects.toMatchObject({ kind: "conflict" });
    expect(await store.delete("default", "web", created.metadata.uid)).toBe(true);
    const deleting = present(await store.get("default", "web"));
    expect(deleting.metadata.deletionTimestamp).toBe("2026-01-01T00:00:00Z");
    await expect(
      store.replace({ ...deleting, metadata: { ...deleting.metadata, finalizers: ["f1", "f2"] } }),
    ).rejects.toMatchObject({ kind: "invalid" });
    await store.replace({ ...deleting, metadata: { ...deleting.metadata, finalizers: [] } });
    expect(await store.get("default", "web")).toBeUndefined();
    expect(await store.delete("default", "web")).toBe(false);
  });
});
