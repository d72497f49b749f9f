import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createSpireClient } from "../../../lib/spire/client.js";
import { instrumentTransport } from "../../../lib/spire/instrument.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";

describe("SPIRE client errors an operator can act on", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function clientFor(socketPath: string) {
    const client = createSpireClient({
      transport: createUnixSocketTransport(socketPath),
      logger: pino({ level: "silent" }),
      retry: { maxAttempts: 2 },
      clock: { sleep: async () => {} },
    });
    cleanups.push(() => client.close());
    return client;
  }

  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "spire-errors-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  it("names a missing socket and asks whether the server runs and the socket is mounted", async () => {
    const socketPath = join(tempDir(), "api.sock");

    const result = await clientFor(socketPath).countEntries();

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("socket-missing");
    expect(result.error.message).toBe(
      `SPIRE server socket ${socketPath} does not exist: is spire-server running and the socket mounted?`,
    );
  });

  it("says when the socket serves something that is not the SPIRE server API", async () => {
    const socketPath = join(tempDir(), "other.sock");
    const server = http2.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (s) => sessions.add(s));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    const result = await clientFor(socketPath).listEntries();

    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.kind).toBe("not-spire");
    expect(result.error.message).toContain(`unix://${socketPath} does not serve the SPIRE server API`);
  });

  it("retries a call the server refused unprocessed (HTTP/2 REFUSED_STREAM, as a stopping spire-server does)", async () => {
    const socketPath = join(tempDir(), "stopping.sock");
    const server = http2.createServer();
    server.on("stream", (stream) => {
      // Closing with an error code also emits it on the server's own stream.
      stream.on("error", () => undefined);
      stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
    });
    const sessions = new Set<http2.ServerHttp2Session>();
    server.on("session", (s) => sessions.add(s));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const observed: string[] = [];
    const client = createSpireClient({
      transport: instrumentTransport(createUnixSocketTransport(socketPath), (method, code) =>
        observed.push(`${method} ${code}`),
      ),
      logger: pino({ level: "silent" }),
      retry: { maxAttempts: 2 },
      clock: { sleep: async () => {} },
    });
    cleanups.push(() => client.close());

    const listed = await client.listEntries();

    expect(listed.ok).toBe(false);
    if (listed.ok) return;
    expect(listed.error.kind).toBe("unavailable");
    expect(listed.error.retryable).toBe(true);
    expect(listed.error.message).toBe(
      `SPIRE server at unix://${socketPath} refused ListEntries unprocessed (HTTP/2 REFUSED_STREAM): it is stopping or overloaded`,
    );
    expect(observed.filter((o) => o.startsWith("ListEntries"))).toEqual([
      "ListEntries Unavailable",
      "ListEntries Unavailable",
    ]);
  });

  it("logs a retry as one line, and labels the RPC with the code it logs (missing socket: Unavailable)", async () => {
    const socketPath = join(tempDir(), "api.sock");
    const lines: string[] = [];
    const observed: string[] = [];
    const client = createSpireClient({
      transport: instrumentTransport(createUnixSocketTransport(socketPath), (method, code) =>
        observed.push(`${method} ${code}`),
      ),
      logger: pino({ level: "warn" }, { write: (line: string) => lines.push(line) }),
      retry: { maxAttempts: 2 },
      clock: { sleep: async () => {} },
    });
    cleanups.push(() => client.close());

    await client.countEntries();

    expect(lines).toHaveLength(1);
    const warning = JSON.parse(lines[0] as string);
    expect(warning).toMatchObject({
      msg: "retrying SPIRE call",
      method: "CountEntries",
      code: "Unavailable",
      reason: `SPIRE server socket ${socketPath} does not exist: is spire-server running and the socket mounted?`,
    });
    expect(warning).not.toHaveProperty("err");
    expect(lines[0]).not.toContain("\\n    at ");
    expect(observed).toEqual(["CountEntries Unavailable", "CountEntries Unavailable"]);
  });
});
