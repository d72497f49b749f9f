import { Code } from "@connectrpc/connect";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { SpireClient } from "../../../lib/spire/client.js";
import { createSpireClient } from "../../../lib/spire/client.js";
import { createSpireTransport } from "../../../lib/spire/create-transport.js";
import {
  type FakeAgent,
  type FakeTlsSpireServer,
  serialOf,
  startFakeAgent,
  startFakeTlsSpireServer,
  svidResponse,
} from "./spiffe-fakes.js";

const logger = pino({ level: "silent" });

describe("SPIRE client over TCP + mTLS with an SVID from the agent", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(serverCert: string, trustDomain = "example.org") {
    const agent: FakeAgent = await startFakeAgent();
    cleanups.push(() => agent.stop());
    const server: FakeTlsSpireServer = await startFakeTlsSpireServer(serverCert);
    cleanups.push(() => server.stop());
    const transport = createSpireTransport({
      serverAddress: `127.0.0.1:${server.port}`,
      agentSocketPath: agent.socketPath,
      trustDomain,
      logger,
    });
    if (!transport.ok) throw new Error(transport.error);
    const client: SpireClient = createSpireClient({
      transport: transport.value,
      logger,
      timeoutMs: 2_000,
      retry: { maxAttempts: 1 },
    });
    cleanups.push(() => client.close());
    return { agent, server, client };
  }

  it("presents the agent's SVID and accepts the server of its trust domain", async () => {
    const { agent, server, client } = await setup("server");
    agent.push({ send: svidResponse("registrar") });
    expect(await client.countEntries()).toEqual({ ok: true, value: 42 });
    expect(server.clientSerials).toEqual([serialOf("registrar")]);
    expect(agent.missingHeader).toBe(0);
  });

  it("waits for the first SVID within the call's deadline", async () => {
    const { agent, client } = await setup("server");
    const counting = client.countEntries();
    setTimeout(() => agent.push({ send: svidResponse("registrar") }), 100);
    expect(await counting).toEqual({ ok: true, value: 42 });
  });

  it("handshakes new sessions with the rotated SVID", async () => {
    const { agent, server, client } = await setup("server");
    agent.push({ send: svidResponse("registrar") });
    expect((await client.countEntries()).ok).toBe(true);

    agent.push({ send: svidResponse("registrar-rotated") });
    // The push reaches the client asynchronously; a new session after it must use the new cert.
    await expect
      .poll(async () => {
        server.dropSessions();
        await client.countEntries();
        return server.clientSerials.at(-1);
      })
      .toBe(serialOf("registrar-rotated"));
  });

  it("refuses a server whose certificate is not spiffe://<td>/spire/server", async () => {
    const { agent, client } = await setup("not-spire");
    agent.push({ send: svidResponse("registrar") });
    const result = await client.countEntries();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("trust-domain-mismatch");
    expect(result.error.method).toBe("CountEntries");
    expect(result.error.message).toBe(
      "SPIRE server presented spiffe://example.org/not-spire, expected spiffe://example.org/spire/server: check trust_domain and server_address",
    );
  });

  it("refuses the right server when configured for another trust domain", async () => {
    const { agent, client } = await setup("server", "other.org");
    agent.push({ send: svidResponse("registrar") });
    const result = await client.countEntries();
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.kind).toBe("trust-domain-mismatch");
      expect(result.error.message).toContain("expected spiffe://other.org/spire/server");
    }
  });

  it("refuses a server certificate that the bundle does not verify, even with the right ID", async () => {
    const { agent, client } = await setup("foreign-server");
    agent.push({ send: svidResponse("registrar") });
    const result = await client.countEntries();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toContain("trust bundle from the SPIRE agent does not verify");
  });

  it("explains an agent that issued no identity to this process", async () => {
    const { agent, client } = await setup("server");
    agent.push({ fail: Code.PermissionDenied, message: "no identity issued" });
    const result = await client.countEntries();
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("permission-denied");
    expect(result.error.message).toContain("issued no X509-SVID to this process (no identity issued)");
  });

  it("needs agent_socket_path for a remote server", () => {
    const result = createSpireTransport({
      serverAddress: "spire-server:8081",
      trustDomain: "example.org",
      logger,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain("set agent_socket_path");
  });
});
