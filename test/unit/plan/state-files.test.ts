/** The files `registrar plan` reads: SPIRE's entries and federation relationships as spire-server prints them. */
import { describe, expect, it } from "vitest";
import { parseEntries, parseFederationRelationships, parseKubeList } from "../../../lib/plan/state-files.js";

const id = (path: string) => ({ trust_domain: "example.org", path });

describe("parseEntries", () => {
  it("keeps every field the cluster-spiffeid compare reads (protojson names)", () => {
    const text = JSON.stringify({
      entries: [
        {
          id: "reg.1",
          spiffe_id: id("/w"),
          parent_id: id("/spire/agent/x"),
          selectors: [{ type: "k8s", value: "pod-uid:u1" }],
          x509_svid_ttl: 3600,
          jwt_svid_ttl: 300,
          federates_with: ["a.org"],
          admin: true,
          downstream: true,
          dns_names: ["w"],
          hint: "h",
          store_svid: true,
          revision_number: "2",
          created_at: "1700000000",
        },
      ],
    });
    expect(parseEntries(text, "e.json")).toStrictEqual({
      ok: true,
      value: [
        {
          id: "reg.1",
          spiffeId: "spiffe://example.org/w",
          parentId: "spiffe://example.org/spire/agent/x",
          selectors: [{ type: "k8s", value: "pod-uid:u1" }],
          dnsNames: ["w"],
          federatesWith: ["a.org"],
          admin: true,
          downstream: true,
          x509SvidTtl: 3600,
          jwtSvidTtl: 300,
          hint: "h",
          storeSvid: true,
        },
      ],
    });
  });

  it("reads absent SVID fields as their zero values, and store_svid false as absent", () => {
    const text = JSON.stringify({
      entries: [{ id: "x", spiffe_id: id("/w"), parent_id: id("/p"), selectors: [], store_svid: false }],
    });
    const parsed = parseEntries(text, "e.json");
    expect(parsed.ok && parsed.value[0]).toStrictEqual({
      id: "x",
      spiffeId: "spiffe://example.org/w",
      parentId: "spiffe://example.org/p",
      selectors: [],
      dnsNames: [],
      federatesWith: [],
      admin: false,
      downstream: false,
      x509SvidTtl: 0,
      jwtSvidTtl: 0,
      hint: "",
    });
  });
});

describe("parseFederationRelationships", () => {
  it("reads spire-server federation list -output json, bundles left out", () => {
    // The shape of spire's cmd/spire-server/cli/federation list_test.go.
    const text = `{
      "federation_relationships": [
        { "trust_domain": "foh.test", "bundle_endpoint_url": "https://foo.test/endpoint", "https_web": {} },
        {
          "trust_domain": "bar.test",
          "bundle_endpoint_url": "https://bar.test/endpoint",
          "https_spiffe": { "endpoint_spiffe_id": "spiffe://bar.test/id" },
          "trust_domain_bundle": { "trust_domain": "bar.test", "x509_authorities": [], "jwt_authorities": [],
            "refresh_hint": "0", "sequence_number": "0" }
        }
      ],
      "next_page_token": ""
    }`;
    expect(parseFederationRelationships(text, "f.json")).toStrictEqual({
      ok: true,
      value: [
        {
          trustDomain: "foh.test",
          bundleEndpointUrl: "https://foo.test/endpoint",
          bundleEndpointProfile: { type: "https_web" },
        },
        {
          trustDomain: "bar.test",
          bundleEndpointUrl: "https://bar.test/endpoint",
          bundleEndpointProfile: { type: "https_spiffe", endpointSpiffeId: "spiffe://bar.test/id" },
        },
      ],
    });
  });

  it("accepts camelCase names and an empty answer", () => {
    const camel = JSON.stringify({
      federationRelationships: [
        {
          trustDomain: "a.org",
          bundleEndpointUrl: "https://a.org",
          httpsSpiffe: { endpointSpiffeId: "spiffe://a.org/s" },
        },
      ],
    });
    expect(parseFederationRelationships(camel, "f.json")).toMatchObject({
      ok: true,
      value: [{ trustDomain: "a.org", bundleEndpointProfile: { endpointSpiffeId: "spiffe://a.org/s" } }],
    });
    expect(parseFederationRelationships('{"federation_relationships":[]}', "f.json")).toStrictEqual({
      ok: true,
      value: [],
    });
  });

  it.each([
    ["{", "f.json: not valid JSON"],
    ['{"federation_relationships":{}}', 'f.json: "federation_relationships" must be a list'],
    [
      '{"federation_relationships":[{"bundle_endpoint_url":"https://x"}]}',
      "federation_relationships[0]: missing trust_domain",
    ],
    ['{"federation_relationships":[{"trust_domain":"a.org"}]}', "missing bundle_endpoint_url"],
    [
      '{"federation_relationships":[{"trust_domain":"a.org","bundle_endpoint_url":"https://x"}]}',
      "no bundle endpoint profile (https_web or https_spiffe)",
    ],
    [
      '{"federation_relationships":[{"trust_domain":"a.org","bundle_endpoint_url":"https://x","https_spiffe":{}}]}',
      "https_spiffe without endpoint_spiffe_id",
    ],
  ])("rejects %s", (text, message) => {
    const parsed = parseFederationRelationships(text, "f.json");
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toContain(message);
  });
});

describe("parseKubeList", () => {
  it("groups a List's items by kind in file order", () => {
    const text = JSON.stringify({
      kind: "List",
      items: [
        { kind: "Pod", metadata: { name: "a" } },
        { kind: "Node", metadata: { name: "n" } },
        { kind: "Pod", metadata: { name: "b" } },
      ],
    });
    const parsed = parseKubeList(text, "s.json");
    expect(parsed.ok && [...parsed.value.keys()]).toEqual(["Pod", "Node"]);
    expect(
      parsed.ok &&
        parsed.value.get("Pod")?.map((item) => (item as { metadata: { name: string } }).metadata.name),
    ).toEqual(["a", "b"]);
  });
});
