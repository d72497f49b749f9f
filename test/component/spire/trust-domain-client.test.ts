import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FederationRelationship } from "../../../lib/scm/cluster-federated-trust-domain.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport, type SpireTransport } from "../../../lib/spire/transport.js";
import {
  createTrustDomainClient,
  type TrustDomainClient,
  type TrustDomainClientOptions,
} from "../../../lib/spire/trust-domain-client.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";

const TD = "example.org";

function web(trustDomain: string, extra: Partial<FederationRelationship> = {}): FederationRelationship {
  return {
    trustDomain,
    bundleEndpointUrl: `https://${trustDomain}/bundle`,
    bundleEndpointProfile: { type: "https_web" },
    trustDomainBundle: undefined,
    ...extra,
  };
}

const names = (count: number) => Array.from({ length: count }, (_, i) => `td-${i}.test`);

describe("trust domain client against the fake server", () => {
  let fake: FakeSpireServer;
  let transport: SpireTransport | undefined;
  const sleeps: number[] = [];

  beforeEach(async () => {
    fake = await startFakeSpireServer({ trustDomain: TD });
    sleeps.length = 0;
  });
  afterEach(async () => {
    transport?.close();
    transport = undefined;
    await fake.stop();
  });

  /** A client whose backoff sleeps are recorded instead of waited for. */
  function connect(overrides: Partial<Omit<TrustDomainClientOptions, "transport" | "logger">> = {}) {
    transport = createUnixSocketTransport(fake.socketPath);
    const client: TrustDomainClient = createTrustDomainClient({
      transport,
      logger: pino({ level: "silent" }),
      clock: {
        sleep: async (ms) => {
          sleeps.push(ms);
        },
      },
      random: () => 0.5,
      ...overrides,
    });
    return client;
  }

  it("sends updates with no input mask, as spire-controller-manager does", async () => {
    const client = connect();
    await client.createFederationRelationships([web("a.test")]);

    const updated = await client.updateFederationRelationships([
      web("a.test", { bundleEndpointUrl: "https://b" }),
    ]);

    expect(updated).toMatchObject({ ok: true, value: [{ ok: true }] });
    expect(fake.requests("BatchUpdateFederationRelationship").map((r) => r.inputMask)).toEqual([undefined]);
    expect(fake.federation.all().map((r) => r.bundleEndpointUrl)).toEqual(["https://b"]);
  });

  it("refuses a relationship whose bundle cannot be sent without sending it, and writes the rest", async () => {
    const client = connect();
    const unsendable = web("bad.test", { bundleError: "failed to marshal public key: x509: unsupported" });

    const created = await client.createFederationRelationships([web("a.test"), unsendable, web("b.test")]);
    const onlyBad = await client.updateFederationRelationships([unsendable]);

    expect(created).toEqual({
      ok: true,
      value: [
        { ok: true, relationship: web("a.test") },
        {
          ok: false,
          code: Code.InvalidArgument,
          message: "invalid trust domain bundle: failed to marshal public key: x509: unsupported",
        },
        { ok: true, relationship: web("b.test") },
      ],
    });
    expect(fake.batchSizes.BatchCreateFederationRelationship).toEqual([2]);
    expect(onlyBad).toMatchObject({ ok: true, value: [{ ok: false, code: Code.InvalidArgument }] });
    expect(fake.rpcCounts.BatchUpdateFederationRelationship).toBeUndefined();
  });

  it("batches and pages with spire-controller-manager's sizes", async () => {
    const client = connect();

    const created = await client.createFederationRelationships(names(120).map((td) => web(td)));
    const listed = await client.listFederationRelationships();
    const deleted = await client.deleteFederationRelationships([...names(120), ...names(250).slice(120)]);

    expect(created.ok && created.value.every((r) => r.ok)).toBe(true);
    expect(fake.batchSizes.BatchCreateFederationRelationship).toEqual([50, 50, 20]);
    expect(listed.ok && listed.value).toHaveLength(120);
    // One page of 200 holds them all; the empty final page ends the list.
    expect(fake.requests("ListFederationRelationships").map((r) => r.pageSize)).toEqual([200, 200]);
    expect(fake.batchSizes.BatchDeleteFederationRelationship).toEqual([200, 50]);
    expect(deleted.ok && deleted.value.filter((r) => r.ok && !r.existed)).toHaveLength(130);
  });

  it("retries a list on UNAVAILABLE with the entry client's backoff, then succeeds", async () => {
    const client = connect({ retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 } });
    await client.createFederationRelationships([web("a.test")]);
    fake.injectFault({ method: "ListFederationRelationships", code: Code.Unavailable, times: 2 });

    const listed = await client.listFederationRelationships();

    expect(listed).toEqual({ ok: true, value: [web("a.test")] });
    expect(sleeps).toEqual([50, 100]);
  });

  it("answers a failed RPC with what the batches before it wrote", async () => {
    const client = connect({ batchSize: { create: 1 }, concurrency: 1, retry: { maxAttempts: 1 } });
    fake.injectFault({ method: "BatchCreateFederationRelationship", code: Code.PermissionDenied, onCall: 2 });

    const created = await client.createFederationRelationships([web("a.test"), web("b.test"), web("c.test")]);

    expect(created).toMatchObject({
      ok: false,
      error: { code: Code.PermissionDenied, method: "BatchCreateFederationRelationship" },
      partial: [{ ok: true }, undefined, undefined],
    });
  });

  it("lets entries federate with a trust domain once a relationship brought its bundle (fake wiring)", async () => {
    const client = connect();
    const entries = createSpireClient({
      transport: createUnixSocketTransport(fake.socketPath),
      logger: pino({ level: "silent" }),
    });
    const entry = {
      spiffeId: `spiffe://${TD}/w`,
      parentId: `spiffe://${TD}/spire/agent/n`,
      selectors: [{ type: "k8s", value: "ns:a" }],
      dnsNames: [],
      federatesWith: ["fed.test"],
      admin: false,
      downstream: false,
    };
    try {
      const before = await entries.createEntries([entry]);
      await client.createFederationRelationships([
        web("fed.test", {
          trustDomainBundle: {
            trustDomain: "fed.test",
            x509Authorities: [],
            jwtAuthorities: [],
            refreshHint: 0n,
            sequenceNumber: 0n,
          },
        }),
      ]);
      const after = await entries.createEntries([entry]);

      expect(before).toMatchObject({ ok: true, value: [{ ok: false, code: Code.Internal }] });
      expect(after).toMatchObject({ ok: true, value: [{ ok: true }] });
    } finally {
      entries.close();
    }
  });
});
