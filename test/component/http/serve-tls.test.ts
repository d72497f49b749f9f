import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServedApp } from "../../../lib/http/serve.js";
import { loadTlsMaterial, parseAddr, serveTls } from "../../../lib/http/serve-tls.js";
import { createPki, type Pki } from "../../e2e/harness/pki.js";
import { silentLogger } from "../functions/harness.js";

interface Answer {
  status?: number;
  error?: string;
  peerSerial?: string;
}

function call(
  port: number,
  pki: Pki,
  client?: { certPath: string; keyPath: string },
  body?: Buffer,
): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/ping",
        method: body ? "POST" : "GET",
        ...(body ? { headers: { "content-length": body.length } } : {}),
        ca: readFileSync(pki.ca.certPath),
        servername: "localhost",
        ...(client ? { cert: readFileSync(client.certPath), key: readFileSync(client.keyPath) } : {}),
        agent: false,
      },
      (res) => {
        const peerSerial = (res.socket as import("node:tls").TLSSocket).getPeerCertificate().serialNumber;
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode, peerSerial }));
      },
    );
    req.on("error", (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.end(body);
  });
}

describe("serveTls", () => {
  let dir: string;
  let pki: Pki;
  let served: ServedApp;
  let files: { certPath: string; keyPath: string; caCertPath: string };
  const app = new Hono()
    .get("/ping", (c) => c.text("pong"))
    .post("/ping", async (c) => c.text(`${(await c.req.text()).length}`));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "serve-tls-"));
    pki = await createPki(join(dir, "pki"));
    const server = await pki.issueServerCert("webhook", ["127.0.0.1", "localhost"]);
    files = { certPath: join(dir, "cert.pem"), keyPath: join(dir, "key.pem"), caCertPath: pki.ca.certPath };
    copyFileSync(server.certPath, files.certPath);
    copyFileSync(server.keyPath, files.keyPath);
    served = await serveTls(app, {
      addr: "127.0.0.1:0",
      files,
      logger: silentLogger,
      name: "test",
      reloadIntervalMs: 50,
    });
  });
  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers a client with a certificate from the CA", async () => {
    expect(await call(served.port, pki, pki.webhookClient)).toMatchObject({ status: 200 });
  });

  it("refuses a client without a certificate during the handshake", async () => {
    const answer = await call(served.port, pki);
    expect(answer.status).toBeUndefined();
    expect(answer.error).toMatch(/ECONNRESET|EPROTO|certificate required|alert/i);
  });

  it("serves a rotated certificate without a restart", async () => {
    const before = await call(served.port, pki, pki.webhookClient);
    const rotated = await pki.issueServerCert("webhook-2", ["127.0.0.1", "localhost"]);
    copyFileSync(rotated.keyPath, files.keyPath);
    copyFileSync(rotated.certPath, files.certPath);
    let after: Answer = before;
    for (let i = 0; i < 100 && after.peerSerial === before.peerSerial; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      after = await call(served.port, pki, pki.webhookClient);
    }
    expect(after.status).toBe(200);
    expect(after.peerSerial).not.toBe(before.peerSerial);
  });

  it("answers 413 to a body over 3 MiB from an authenticated client, and serves a smaller one", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0x61);
    expect(await call(served.port, pki, pki.webhookClient, big)).toMatchObject({ status: 413 });
    expect(await call(served.port, pki, pki.webhookClient, big.subarray(0, 1024))).toMatchObject({
      status: 200,
    });
  });

  it("closes a connection whose TLS handshake never starts (hardening defect 3)", async () => {
    const short = await serveTls(app, {
      addr: "127.0.0.1:0",
      files,
      logger: silentLogger,
      name: "test",
      limits: { headersTimeoutMs: 300 },
    });
    try {
      const socket = connect(short.port, "127.0.0.1");
      socket.on("error", () => undefined);
      await new Promise((resolve) => socket.on("close", resolve));
      expect(socket.destroyed).toBe(true);
    } finally {
      await short.close();
    }
  });

  it("names what is wrong with the files", () => {
    expect(() => loadTlsMaterial({ certPath: join(dir, "missing.pem"), keyPath: files.keyPath })).toThrow(
      /^unable to load server keypair: ENOENT/,
    );
    expect(() => loadTlsMaterial({ ...files, caCertPath: join(dir, "missing-ca.pem") })).toThrow(
      /^unable to read cacert file: ENOENT/,
    );
    expect(() => loadTlsMaterial({ ...files, caCertPath: files.keyPath })).toThrow(
      `unable to parse cacert file: no PEM certificate found in ${files.keyPath}`,
    );
  });

  it("names the configuration key of a missing file and what makes it, when told", () => {
    const origin = { certKey: "cert_path", keyKey: "key_path", caKey: "cacert_path", hint: "make them" };
    const missing = join(dir, "missing.pem");
    expect(() => loadTlsMaterial({ certPath: missing, keyPath: files.keyPath, origin })).toThrow(
      `unable to load server keypair: cert_path = "${missing}": ENOENT: no such file or directory, open '${missing}'; make them`,
    );
    expect(() => loadTlsMaterial({ ...files, caCertPath: missing, origin })).toThrow(
      `unable to read cacert file: cacert_path = "${missing}": ENOENT`,
    );
  });

  it.each([
    [":8443", { host: undefined, port: 8443 }],
    ["127.0.0.1:9443", { host: "127.0.0.1", port: 9443 }],
    ["[::1]:443", { host: "::1", port: 443 }],
  ])("parses addr %s", (addr, expected) => {
    expect(parseAddr(addr)).toEqual(expected);
  });
});
