/**
 * One behavioural contract for what cluster-spiffeid mode asks of SPIRE: the TrustDomain API through
 * the trust domain client, and the entry fields spire-controller-manager writes (store_svid, updates with
 * no input mask) through the entry client. It runs against the in-memory fake (component tests) and the
 * real spire-server (test/e2e/spire-trustdomain.test.ts), so the fake's rules are the server's. Every test
 * uses trust domain names and a parent ID of its own, so tests share a server without seeing each other.
 */
import { generateKeyPairSync, randomUUID, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EntrySpec } from "../../../lib/planner/entry.js";
import type { FederationRelationship } from "../../../lib/scm/cluster-federated-trust-domain.js";
import type { ApiBundle } from "../../../lib/scm/spiffe-bundle.js";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import type { SpireResult } from "../../../lib/spire/rpc.js";
import { createUnixSocketTransport, type SpireTransport } from "../../../lib/spire/transport.js";
import { createTrustDomainClient, type TrustDomainClient } from "../../../lib/spire/trust-domain-client.js";

/** A server under test: its admin socket, its trust domain, and how to stop it. */
export interface TrustDomainContractTarget {
  readonly socketPath: string;
  readonly trustDomain: string;
  stop(): Promise<void>;
}

const FIXTURES = join(import.meta.dirname, "fixtures");

/** A CA certificate's DER, as a bundle's X.509 authority. */
function certificateDer(file: string): Uint8Array {
  return new Uint8Array(new X509Certificate(readFileSync(join(FIXTURES, file))).raw);
}

/** A fresh P-256 public key as PKIX DER, as a bundle's JWT authority. */
function jwtPublicKey(): Uint8Array {
  const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
}

function value<T>(result: SpireResult<T>): T {
  if (!result.ok) throw new Error(`SPIRE call failed: ${result.error.message}`, { cause: result.error });
  return result.value;
}

/** Defines the contract suite under `describe(name)`; `setup` runs once before all tests. */
export function defineTrustDomainContract(
  name: string,
  setup: () => Promise<TrustDomainContractTarget>,
): void {
  describe(`SPIRE TrustDomain API contract: ${name}`, () => {
    let target: TrustDomainContractTarget | undefined;
    let transport: SpireTransport | undefined;
    let trustDomains: TrustDomainClient | undefined;
    let paged: TrustDomainClient | undefined;
    let entries: SpireClient | undefined;
    const started = () => {
      if (!target || !trustDomains || !paged || !entries)
        throw new Error("contract target did not start (see beforeAll)");
      return { target, trustDomains, paged, entries };
    };

    beforeAll(async () => {
      target = await setup();
      transport = createUnixSocketTransport(target.socketPath);
      const logger = pino({ level: "silent" });
      // The default page size holds every relationship of the suite in one page (see the paging test).
      trustDomains = createTrustDomainClient({ transport, logger });
      paged = createTrustDomainClient({ transport, logger, pageSize: 2 });
      entries = createSpireClient({ transport, logger });
    });
    afterAll(async () => {
      transport?.close();
      await target?.stop();
    });

    /** Trust domain names of this test's own, and relationships and bundles for them. */
    function scope() {
      const run = randomUUID();
      const trustDomain = (label: string) => `${label}-${run}.test`;
      const bundle = (td: string, extra: Partial<ApiBundle> = {}): ApiBundle => ({
        trustDomain: td,
        x509Authorities: [{ asn1: certificateDer("ca.pem") }],
        jwtAuthorities: [{ keyId: "key-1", publicKey: jwtPublicKey() }],
        refreshHint: 300n,
        sequenceNumber: 2n,
        ...extra,
      });
      const web = (td: string, extra: Partial<FederationRelationship> = {}): FederationRelationship => ({
        trustDomain: td,
        bundleEndpointUrl: `https://${td}/bundle`,
        bundleEndpointProfile: { type: "https_web" },
        trustDomainBundle: undefined,
        ...extra,
      });
      const spiffe = (td: string, extra: Partial<FederationRelationship> = {}): FederationRelationship => ({
        trustDomain: td,
        bundleEndpointUrl: `https://${td}:8443`,
        bundleEndpointProfile: { type: "https_spiffe", endpointSpiffeId: `spiffe://${td}/spire/server` },
        trustDomainBundle: undefined,
        ...extra,
      });
      /** The relationships SPIRE lists for this test's trust domains, by trust domain. */
      const listed = async (client: TrustDomainClient) =>
        new Map(
          value(await client.listFederationRelationships())
            .filter((r) => r.trustDomain.endsWith(`-${run}.test`))
            .map((r) => [r.trustDomain, r]),
        );
      return { run, trustDomain, bundle, web, spiffe, listed };
    }

    it("creates https_web and https_spiffe relationships, with and without a bundle, and lists them back", async () => {
      const { trustDomains } = started();
      const { trustDomain, bundle, web, spiffe, listed } = scope();
      const [a, b, c] = [trustDomain("web"), trustDomain("spiffe"), trustDomain("bare")];
      const written = [
        web(a, { trustDomainBundle: bundle(a) }),
        spiffe(b, { trustDomainBundle: bundle(b, { jwtAuthorities: [] }) }),
        spiffe(c),
      ];

      const created = value(await trustDomains.createFederationRelationships(written));

      expect(created).toEqual(written.map((relationship) => ({ ok: true, relationship })));
      const read = await listed(trustDomains);
      expect([a, b, c].map((td) => read.get(td))).toEqual(written);
    });

    it("pages through more relationships than fit in a page", async () => {
      const { trustDomains, paged } = started();
      const { trustDomain, web, listed } = scope();
      const names = ["p1", "p2", "p3", "p4", "p5"].map(trustDomain);
      value(await trustDomains.createFederationRelationships(names.map((td) => web(td))));

      // Only the relationships are compared: spire-server (1.13 to 1.15 at least) looks a relationship's
      // bundle up under the page's `id > token` condition, so on pages after the first a bundle may be
      // missing. The fake always returns it.
      expect([...(await listed(paged)).keys()].sort()).toEqual([...names].sort());
    });

    it("updates URL and profile with no input mask; without a bundle SPIRE keeps its own, with one it is replaced", async () => {
      const { trustDomains } = started();
      const { trustDomain, bundle, web, spiffe, listed } = scope();
      const td = trustDomain("moves");
      const first = bundle(td);
      value(await trustDomains.createFederationRelationships([web(td, { trustDomainBundle: first })]));

      const moved = spiffe(td, { bundleEndpointUrl: `https://new-${td}/b` });
      const updated = value(await trustDomains.updateFederationRelationships([moved]));

      expect(updated).toEqual([{ ok: true, relationship: { ...moved, trustDomainBundle: first } }]);
      expect((await listed(trustDomains)).get(td)).toEqual({ ...moved, trustDomainBundle: first });

      const second = bundle(td, {
        x509Authorities: [{ asn1: certificateDer("other-ca.pem") }],
        jwtAuthorities: [],
        sequenceNumber: 3n,
      });
      const back = web(td, { trustDomainBundle: second });
      value(await trustDomains.updateFederationRelationships([back]));

      expect((await listed(trustDomains)).get(td)).toEqual(back);
    });

    it("deletes relationships (a missing one is existed: false); SPIRE keeps the bundle", async () => {
      const { trustDomains } = started();
      const { trustDomain, bundle, web, listed } = scope();
      const td = trustDomain("gone");
      const kept = bundle(td);
      value(await trustDomains.createFederationRelationships([web(td, { trustDomainBundle: kept })]));

      const deleted = value(await trustDomains.deleteFederationRelationships([td, trustDomain("never")]));

      expect(deleted).toEqual([
        { ok: true, trustDomain: td, existed: true },
        { ok: true, trustDomain: trustDomain("never"), existed: false },
      ]);
      expect((await listed(trustDomains)).has(td)).toBe(false);
      // Created again without a bundle, the relationship lists the bundle SPIRE kept.
      value(await trustDomains.createFederationRelationships([web(td)]));
      expect((await listed(trustDomains)).get(td)).toEqual(web(td, { trustDomainBundle: kept }));
    });

    it("refuses per item what SPIRE refuses and writes the rest of the batch", async () => {
      const { target, trustDomains } = started();
      const { trustDomain, bundle, web, spiffe, listed } = scope();
      const good = trustDomain("good");
      const results = value(
        await trustDomains.createFederationRelationships([
          web(good),
          web(trustDomain("plain"), { bundleEndpointUrl: `http://${trustDomain("plain")}/b` }),
          spiffe(trustDomain("noid"), {
            bundleEndpointProfile: { type: "https_spiffe", endpointSpiffeId: "" },
          }),
          web(target.trustDomain),
          web(trustDomain("mismatch"), { trustDomainBundle: bundle(trustDomain("other")) }),
        ]),
      );

      const prefix = "failed to convert federation relationship: ";
      expect(results).toEqual([
        { ok: true, relationship: web(good) },
        {
          ok: false,
          code: Code.InvalidArgument,
          message: `${prefix}bundle endpoint URL must use the https scheme`,
        },
        {
          ok: false,
          code: Code.InvalidArgument,
          message: `${prefix}failed to parse endpoint SPIFFE ID: cannot be empty`,
        },
        {
          ok: false,
          code: Code.InvalidArgument,
          message: "unable to create federation relationship for server trust domain",
        },
        {
          ok: false,
          code: Code.InvalidArgument,
          message: `${prefix}trust domain bundle ("${trustDomain("other")}") must match the trust domain of the federation relationship ("${trustDomain("mismatch")}")`,
        },
      ]);
      expect([...(await listed(trustDomains)).keys()]).toEqual([good]);
    });

    it("answers a create of an existing trust domain and an update of a missing one with Internal", async () => {
      const { trustDomains } = started();
      const { trustDomain, web, listed } = scope();
      const td = trustDomain("twice");
      value(await trustDomains.createFederationRelationships([web(td)]));

      const again = value(
        await trustDomains.createFederationRelationships([web(td, { bundleEndpointUrl: "https://x.test" })]),
      );
      const missing = value(await trustDomains.updateFederationRelationships([web(trustDomain("missing"))]));

      expect(again).toEqual([
        {
          ok: false,
          code: Code.Internal,
          message:
            "failed to create federation relationship: datastore-sql: UNIQUE constraint failed: federated_trust_domains.trust_domain",
        },
      ]);
      expect(missing).toEqual([
        {
          ok: false,
          code: Code.Internal,
          message:
            "failed to update federation relationship: unable to fetch federation relationship: record not found",
        },
      ]);
      expect([...(await listed(trustDomains)).values()]).toEqual([web(td)]);
    });

    /** An entry spec under a parent ID of this test's own. */
    function entrySpec(name: string, extra: Partial<EntrySpec> = {}): EntrySpec {
      const td = started().target.trustDomain;
      const run = randomUUID();
      return {
        spiffeId: `spiffe://${td}/scm-contract/${run}/${name}`,
        parentId: `spiffe://${td}/spire/agent/scm-contract/${run}`,
        selectors: [{ type: "k8s", value: `pod-uid:${run}` }],
        dnsNames: [],
        federatesWith: [],
        admin: false,
        downstream: false,
        ...extra,
      };
    }

    it("creates entries with store_svid and reads it back", async () => {
      const { entries } = started();
      const stored = entrySpec("stored", { storeSvid: true });
      const plain = entrySpec("plain");

      const created = value(await entries.createEntries([stored, plain]));

      expect(created.map((r) => r.ok && r.entry.storeSvid)).toEqual([true, undefined]);
      const read = value(await entries.listEntries({ parentId: stored.parentId }));
      expect(read.map((e) => e.storeSvid)).toEqual([true]);
    });

    it("replaces every field of an entry (no input mask): what it no longer sets is reset", async () => {
      const { entries } = started();
      const spec = entrySpec("replaced", {
        storeSvid: true,
        hint: "old",
        x509SvidTtl: 3600,
        jwtSvidTtl: 300,
        dnsNames: ["a.example.test"],
      });
      const [created] = value(await entries.createEntries([spec]));
      if (!created?.ok) throw new Error("create failed");
      const { storeSvid: _s, hint: _h, x509SvidTtl: _x, ...rest } = created.entry;

      const [replaced] = value(await entries.replaceEntries([{ ...rest, dnsNames: [] }]));

      expect(replaced?.ok).toBe(true);
      const read = value(await entries.getEntry(created.entry.id));
      expect(read).toMatchObject({ dnsNames: [], jwtSvidTtl: 300 });
      expect(read).not.toHaveProperty("storeSvid");
      expect(read).not.toHaveProperty("hint");
      expect(read).not.toHaveProperty("x509SvidTtl");
    });
  });
}
