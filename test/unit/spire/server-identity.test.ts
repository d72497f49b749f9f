import { describe, expect, it } from "vitest";
import { hasSpiffeId, spireServerId, uriSans } from "../../../lib/spire/server-identity.js";

describe("SPIRE server identity", () => {
  const expected = spireServerId("example.org");

  it("is spiffe://<td>/spire/server", () => {
    expect(expected).toBe("spiffe://example.org/spire/server");
  });

  it("reads the URI SANs and ignores other names", () => {
    expect(uriSans("DNS:localhost, URI:spiffe://example.org/spire/server, IP Address:127.0.0.1")).toEqual([
      "spiffe://example.org/spire/server",
    ]);
    expect(uriSans(undefined)).toEqual([]);
  });

  it.each([
    ["URI:spiffe://example.org/spire/server", true],
    ["DNS:spire-server, URI:spiffe://example.org/spire/server", true],
    ["URI:spiffe://other.org/spire/server", false],
    ["URI:spiffe://example.org/spire/server/x", false],
    ["DNS:spiffe://example.org/spire/server", false],
    ["URI:spiffe://example.org/spire/server, URI:spiffe://example.org/other", false],
    [undefined, false],
  ])("accepts %s: %s", (sans, accepted) => {
    expect(hasSpiffeId(sans, expected)).toBe(accepted);
  });
});
