import { describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import {
  entryFromProto,
  entrySpecToProto,
  spiffeIdFromProto,
  spiffeIdToProto,
} from "../../../lib/spire/convert.js";

describe("SPIFFE ID conversion", () => {
  it.each([
    ["spiffe://example.org/ns/default/sa/web", "example.org", "/ns/default/sa/web"],
    ["spiffe://example.org", "example.org", ""],
  ])("splits %s into trust domain and path and joins it back", (id, trustDomain, path) => {
    const proto = spiffeIdToProto(id);
    expect({ trustDomain: proto.trustDomain, path: proto.path }).toEqual({ trustDomain, path });
    expect(spiffeIdFromProto(proto)).toBe(id);
  });

  it("sends a string without the scheme with an empty trust domain, for the server to reject", () => {
    expect(spiffeIdToProto("example.org/web")).toMatchObject({ trustDomain: "", path: "example.org/web" });
  });
});

describe("entry conversion", () => {
  const spec: EntrySpec = {
    spiffeId: "spiffe://example.org/web",
    parentId: "spiffe://example.org/spire/agent/node",
    selectors: [{ type: "k8s", value: "ns:default" }],
    dnsNames: ["web.default.svc"],
    federatesWith: ["other.test"],
    admin: true,
    downstream: false,
    x509SvidTtl: 3600,
    jwtSvidTtl: 300,
    hint: "web",
  };

  it("round-trips every spec field", () => {
    const back = entryFromProto(entrySpecToProto(spec, "id-1"));
    expect(back).toEqual({ ...spec, id: "id-1", revisionNumber: 0n, createdAt: 0n });
  });

  it("treats zero TTLs and an empty hint on the wire as unset", () => {
    const { x509SvidTtl: _x, jwtSvidTtl: _j, hint: _h, ...bare } = spec;
    const back = entryFromProto(entrySpecToProto(bare));
    expect(back).not.toHaveProperty("x509SvidTtl");
    expect(back).not.toHaveProperty("jwtSvidTtl");
    expect(back).not.toHaveProperty("hint");
  });

  it("carries store_svid, and reads it back only when set", () => {
    expect(entrySpecToProto({ ...spec, storeSvid: true }).storeSvid).toBe(true);
    expect(entryFromProto(entrySpecToProto({ ...spec, storeSvid: true }, "id-1"))).toMatchObject({
      storeSvid: true,
    });
    // Entries of the modes that never set it read back without the field, as they were written.
    expect(entrySpecToProto(spec).storeSvid).toBe(false);
    expect(entryFromProto(entrySpecToProto({ ...spec, storeSvid: false }))).not.toHaveProperty("storeSvid");
  });
});
