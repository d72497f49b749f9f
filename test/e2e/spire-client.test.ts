/**
 * Issue acceptance for the SPIRE client against the real spire-server, over the server's Unix
 * admin socket and over TCP + mTLS with an admin X509-SVID from a real spire-agent.
 */
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFinished } from "vitest";
import type { EntrySpec } from "../../lib/planner/entry.js";
import type { SpireClient, SpireClientOptions, SpireResult } from "../../lib/spire/client.js";
import { createSpireClient } from "../../lib/spire/client.js";
import { createSpireTransport } from "../../lib/spire/create-transport.js";
import type { SpireTransport } from "../../lib/spire/transport.js";
import { createUnixSocketTransport } from "../../lib/spire/transport.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireAgent, type SpireServer, startSpireAgent, startSpireServer } from "./harness/spire.js";

const logger = pino({ level: "silent" });
/** Generous retries for the restart test: the server is gone for a second or two. */
const PATIENT_RETRY = { maxAttempts: 40, baseDelayMs: 100, maxDelayMs: 1_000 };

function value<T>(result: SpireResult<T>): T {
  if (!result.ok) throw new Error(`SPIRE call failed: ${result.error.message}`, { cause: result.error });
  return result.value;
}

function specs(parentId: string, count: number, prefix = "w"): EntrySpec[] {
  const td = new URL(parentId).host;
  return Array.from({ length: count }, (_, i) => ({
    spiffeId: `spiffe://${td}/e2e/${prefix}-${i}`,
    parentId,
    selectors: [{ type: "k8s", value: `pod-uid:${prefix}-${i}` }],
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  }));
}

function mtlsTransport(
  server: SpireServer,
  agent: SpireAgent,
  trustDomain = server.trustDomain,
): SpireTransport {
  const created = createSpireTransport({
    serverAddress: `127.0.0.1:${server.bindPort}`,
    agentSocketPath: agent.socketPath,
    trustDomain,
    logger,
  });
  if (!created.ok) throw new Error(created.error);
  return created.value;
}

describe.skipIf(skipWithoutPeers(["spire-server", "spire-agent"]))(
  "SPIRE client against spire-server",
  () => {
    let server: SpireServer | undefined;
    let agent: SpireAgent | undefined;
    const clients: SpireClient[] = [];
    const peers = (): { server: SpireServer; agent: SpireAgent } => {
      if (!server || !agent) throw new Error("SPIRE did not start (see beforeAll)");
      return { server, agent };
    };

    beforeAll(async () => {
      server = await startSpireServer();
      agent = await startSpireAgent(server);
      // The registrar's identity: an admin entry for this test process (unix attestor by uid) under the agent.
      const uid = process.getuid?.();
      if (uid === undefined) throw new Error("process.getuid is unavailable on this platform");
      const created = await server.cli([
        "entry",
        "create",
        "-spiffeID",
        `spiffe://${server.trustDomain}/registrar`,
        "-parentID",
        agent.agentSpiffeId,
        "-selector",
        `unix:uid:${uid}`,
        "-admin",
      ]);
      if (created.code !== 0) throw new Error(`entry create failed: ${created.stderr}`);
    });
    beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs));
    afterAll(async () => {
      for (const client of clients) client.close();
      await agent?.stop();
      await server?.stop();
    });

    const transports: [string, () => SpireTransport][] = [
      ["the Unix admin socket", () => createUnixSocketTransport(peers().server.socketPath)],
      ["TCP + mTLS through spire-agent", () => mtlsTransport(peers().server, peers().agent)],
    ];

    describe.each(transports)("over %s", (_name, makeTransport) => {
      const client = (overrides: Partial<SpireClientOptions> = {}): SpireClient => {
        // The agent may need a sync (seconds) before it has the registrar's SVID: wait for it.
        const made = createSpireClient({
          transport: makeTransport(),
          logger,
          timeoutMs: 30_000,
          ...overrides,
        });
        clients.push(made);
        return made;
      };
      const freshParent = () => `spiffe://${peers().server.trustDomain}/e2e/node-${randomUUID()}`;

      it("pages through 5,000 entries created in batches", async () => {
        const spire = client();
        const parentId = freshParent();
        const created = value(await spire.createEntries(specs(parentId, 5_000)));
        expect(created.filter((r) => r.ok && !r.existed)).toHaveLength(5_000);

        const listed = value(await spire.listEntries({ parentId }));
        expect(new Set(listed.map((e) => e.spiffeId)).size).toBe(5_000);
        expect(new Set(listed.map((e) => e.id)).size).toBe(5_000);
        const smallPages = client({ pageSize: 700 });
        expect(value(await smallPages.listEntries({ parentId }))).toHaveLength(5_000);
        expect(value(await spire.countEntries({ parentId }))).toBe(5_000);

        const deleted = value(await spire.deleteEntries(listed.map((e) => e.id)));
        expect(deleted.every((r) => r.ok && r.existed)).toBe(true);
        expect(value(await spire.countEntries({ parentId }))).toBe(0);
      });

      it("answers a batch with duplicates and invalid entries per item and creates the valid ones", async () => {
        const spire = client();
        const parentId = freshParent();
        const [a, b, c] = specs(parentId, 3, "mixed");
        if (!a || !b || !c) throw new Error("unreachable");
        const before = value(await spire.createEntries([c]));
        expect(before[0]?.ok).toBe(true);

        const results = value(
          await spire.createEntries([
            a,
            { ...b, selectors: [] },
            a,
            { ...b, spiffeId: "spiffe://other.org/e2e/foreign" },
            b,
            c,
          ]),
        );
        expect(results.map((r) => (r.ok ? (r.existed ? "existed" : "created") : Code[r.code]))).toEqual([
          "created",
          "InvalidArgument",
          "existed",
          "InvalidArgument",
          "created",
          "existed",
        ]);
        const ids = results.flatMap((r) => (r.ok ? [r.entry.id] : []));
        expect(ids[0]).toBe(ids[1]);
        const listed = value(await spire.listEntries({ parentId }));
        expect(listed.map((e) => e.spiffeId).sort()).toEqual([a.spiffeId, b.spiffeId, c.spiffeId].sort());
      });

      it("treats deleting missing IDs as success", async () => {
        const spire = client();
        const [kept] = value(await spire.createEntries(specs(freshParent(), 1, "kept")));
        if (!kept?.ok) throw new Error("create failed");
        const missing = [randomUUID(), randomUUID()];
        const results = value(
          await spire.deleteEntries([missing[0] as string, kept.entry.id, missing[1] as string]),
        );
        expect(results).toEqual([
          { ok: true, id: missing[0], existed: false },
          { ok: true, id: kept.entry.id, existed: true },
          { ok: true, id: missing[1], existed: false },
        ]);
      });
    });

    // Over the Unix socket only, on a server of its own: the harness's server uses the in-memory key
    // manager, so a restart mints a new CA that the agent (and so the mTLS client) can never verify.
    it("finishes a large create across a server restart with every entry exactly once", async () => {
      const server = await startSpireServer();
      onTestFinished(() => server.stop());
      const spire = createSpireClient({
        transport: createUnixSocketTransport(server.socketPath),
        logger,
        retry: PATIENT_RETRY,
        batchSize: { create: 50 },
        concurrency: 2,
      });
      clients.push(spire);
      const parentId = `spiffe://${server.trustDomain}/e2e/restart-${randomUUID()}`;
      const wanted = specs(parentId, 4_000, "restart");

      const creating = spire.createEntries(wanted);
      // Restart once the first batches have landed, so the restart hits the middle of the call.
      await waitForCount(spire, parentId, 200);
      await server.restart();
      const results = value(await creating);

      expect(results.every((r) => r.ok)).toBe(true);
      const listed = value(await spire.listEntries({ parentId }));
      expect(listed).toHaveLength(wanted.length);
      expect(new Set(listed.map((e) => e.spiffeId)).size).toBe(wanted.length);
      expect(value(await spire.countEntries({ parentId }))).toBe(wanted.length);
      // Some batches completed after the restart, so the restart really was in the middle.
      expect(results.some((r) => r.ok && !r.existed)).toBe(true);
    });

    it("refuses a server of another trust domain over mTLS with a clear error", async () => {
      const { server, agent } = peers();
      const spire = createSpireClient({
        transport: mtlsTransport(server, agent, "other.org"),
        logger,
        timeoutMs: 30_000,
      });
      clients.push(spire);
      const result = await spire.countEntries();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.kind).toBe("trust-domain-mismatch");
      expect(result.error.message).toContain(
        `SPIRE server presented spiffe://${server.trustDomain}/spire/server, expected spiffe://other.org/spire/server`,
      );
    });

    it("names a missing server socket", async () => {
      const socketPath = `/tmp/no-such-dir-${randomUUID()}/api.sock`;
      const spire = createSpireClient({
        transport: createUnixSocketTransport(socketPath),
        logger,
        retry: { maxAttempts: 1 },
      });
      clients.push(spire);
      const result = await spire.countEntries();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.kind).toBe("socket-missing");
      expect(result.error.message).toContain(`SPIRE server socket ${socketPath} does not exist`);
    });

    it("names a missing agent socket on the mTLS path", async () => {
      const { server } = peers();
      const agentSocketPath = `/tmp/no-such-dir-${randomUUID()}/agent.sock`;
      const created = createSpireTransport({
        serverAddress: `127.0.0.1:${server.bindPort}`,
        agentSocketPath,
        trustDomain: server.trustDomain,
        logger,
      });
      if (!created.ok) throw new Error(created.error);
      const spire = createSpireClient({
        transport: created.value,
        logger,
        timeoutMs: 1_000,
        retry: { maxAttempts: 1 },
      });
      clients.push(spire);
      const result = await spire.countEntries();
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.error.kind).toBe("socket-missing");
      expect(result.error.message).toContain(`SPIRE agent socket ${agentSocketPath} does not exist`);
    });
  },
);

async function waitForCount(spire: SpireClient, parentId: string, atLeast: number): Promise<void> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
    const count = await spire.countEntries({ parentId });
    if (count.ok && count.value >= atLeast) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`fewer than ${atLeast} entries under ${parentId} after 60 s`);
}
