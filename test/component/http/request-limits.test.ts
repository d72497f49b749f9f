/**
 * Defects 1 and 3 of the hardening issue: request bodies are limited (413 before the body is read)
 * and clients that stall while sending headers or a body are cut off after seconds, not minutes.
 */
import { Agent, request } from "node:http";
import { connect, type Socket } from "node:net";
import { Writable } from "node:stream";
import { Hono } from "hono";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEFAULT_MAX_REQUEST_BYTES } from "../../../lib/http/request-limits.js";
import { type ServedApp, serveApp } from "../../../lib/http/serve.js";
import { silentLogger } from "../functions/harness.js";

/**
 * POSTs `size` bytes (in 64 KiB writes), with a Content-Length or chunked; resolves with the status.
 * A keep-alive connection, as the API server and the event senders use: with `Connection: close` the
 * server would close the connection after its early 413 while the client still writes.
 */
function post(port: number, size: number, chunked: boolean): Promise<number | string> {
  const agent = new Agent({ keepAlive: true });
  const status = new Promise<number | string>((resolve) => {
    const headers: Record<string, string | number> = { "content-type": "application/json" };
    if (!chunked) headers["content-length"] = size;
    const req = request({ host: "127.0.0.1", port, path: "/", method: "POST", headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const write = () => {
      while (sent < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!req.write(part)) {
          req.once("drain", write);
          return;
        }
      }
      req.end();
    };
    write();
  });
  return status.finally(() => agent.destroy());
}

/** Resolves when the server closes `socket`, with what it sent before closing. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let received = "";
    socket.on("data", (data) => {
      received += data.toString("utf8");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => resolve(received));
  });
}

describe("request limits of the functions' HTTP server", () => {
  const app = new Hono().post("/", async (c) => c.json({ length: (await c.req.text()).length }));
  let served: ServedApp;
  let shortTimeouts: ServedApp;
  beforeAll(async () => {
    served = await serveApp(app, { port: 0, hostname: "127.0.0.1", logger: silentLogger, name: "test" });
    shortTimeouts = await serveApp(app, {
      port: 0,
      hostname: "127.0.0.1",
      logger: silentLogger,
      name: "test",
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600 },
    });
  });
  afterAll(async () => {
    await served?.close();
    await shortTimeouts?.close();
  });

  it("answers 413 to a body declared larger than 3 MiB, and serves one of 3 MiB", async () => {
    expect(await post(served.port, DEFAULT_MAX_REQUEST_BYTES + 1, false)).toBe(413);
    expect(await post(served.port, 50 * 1024 * 1024, false)).toBe(413);
    expect(await post(served.port, DEFAULT_MAX_REQUEST_BYTES, false)).toBe(200);
  });

  it("answers 413 to a chunked body once it goes over 3 MiB, and serves a smaller one", async () => {
    expect(await post(served.port, 20 * 1024 * 1024, true)).toBe(413);
    expect(await post(served.port, 1024 * 1024, true)).toBe(200);
  });

  it("takes a configured limit", async () => {
    const small = await serveApp(app, {
      port: 0,
      hostname: "127.0.0.1",
      logger: silentLogger,
      name: "test",
      limits: { maxBodyBytes: 1000 },
    });
    try {
      expect(await post(small.port, 1001, false)).toBe(413);
      expect(await post(small.port, 1001, true)).toBe(413);
      expect(await post(small.port, 1000, false)).toBe(200);
    } finally {
      await small.close();
    }
  });

  it("closes a connection whose headers never finish (default header timeout)", async () => {
    const socket = connect(served.port, "127.0.0.1");
    socket.write("POST / HTTP/1.1\r\nHost: x\r\n");
    const answer = await closed(socket);
    expect(answer).toMatch(/^(HTTP\/1\.1 408|)/);
  });

  it("closes a connection whose chunked body never ends", async () => {
    const socket = connect(shortTimeouts.port, "127.0.0.1");
    socket.write("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
    const trickle = setInterval(() => socket.write("1\r\na\r\n"), 50);
    try {
      const answer = await closed(socket);
      expect(answer).not.toContain("HTTP/1.1 200");
    } finally {
      clearInterval(trickle);
    }
  });

  it("logs a client that goes away mid-body as one line with its code, no stack (hardening defect 13)", async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    });
    const logged = await serveApp(app, { port: 0, hostname: "127.0.0.1", logger: pino(sink), name: "test" });
    const printed = vi.spyOn(console, "error");
    try {
      const socket = connect(logged.port, "127.0.0.1");
      socket.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n0123456789");
      await new Promise((resolve) => setTimeout(resolve, 50));
      socket.destroy();
      while (!lines.some((line) => line.includes("client closed"))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const aborts = records.filter((record) => String(record.msg).includes("client closed"));
      expect(aborts).toEqual([
        expect.objectContaining({
          msg: "client closed the connection before sending the whole request",
          code: expect.stringMatching(/^[A-Z_]+$|^aborted$/),
          path: "/",
        }),
      ]);
      expect(lines.join("\n")).not.toMatch(/stack|\n\s+at /);
      expect(printed).not.toHaveBeenCalled();
    } finally {
      printed.mockRestore();
      await logged.close();
    }
  });
});
