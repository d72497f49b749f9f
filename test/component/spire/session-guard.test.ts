/**
 * connectrpc/connect-es#1768 against a real HTTP/2 server on a Unix socket: a GOAWAY on an idle
 * session, then a call before the session's socket has closed (as when spire-server stops while an
 * event is being reconciled). Without the guard the deferred error is raised with no listener.
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Http2SessionManager } from "@connectrpc/connect-node";
import { afterEach, expect, it } from "vitest";
import { guardSessions, type SessionManager } from "../../../lib/spire/session-guard.js";

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Sends one request and reads the answer to its end; returns the session it ran on. */
async function call(manager: SessionManager, path: string): Promise<http2.ClientHttp2Session> {
  const stream = await manager.request("POST", path, {}, {});
  const session = stream.session as http2.ClientHttp2Session;
  stream.end();
  stream.resume();
  await new Promise((resolve) => stream.once("close", resolve));
  return session;
}

it("a call right after a GOAWAY on an idle session neither fails nor crashes the process", async () => {
  const dir = mkdtempSync(join(tmpdir(), "session-guard-"));
  const socketPath = join(dir, "s.sock");
  const server = http2.createServer((_req, res) => {
    res.statusCode = 404;
    res.end();
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  const manager = new Http2SessionManager(
    "http://localhost",
    {},
    { createConnection: () => netConnect(socketPath) },
  );
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => {
    for (const s of sessions) s.destroy();
  });
  cleanups.push(() => manager.abort());
  const guarded = guardSessions(manager);

  const idle = await call(guarded, "/first");
  const idleClosed = new Promise((resolve) => idle.once("close", resolve));
  // The manager destroys the idle session on the GOAWAY (its listener runs first); this call then
  // finds it destroyed and connects anew, before the old socket has closed.
  const second = new Promise<http2.ClientHttp2Session>((resolve, reject) => {
    idle.once("goaway", () => call(guarded, "/second").then(resolve, reject));
  });
  for (const s of sessions) s.goaway(http2.constants.NGHTTP2_NO_ERROR);
  // (Sessions are compared by identity: vitest cannot print one.)
  expect((await second) === idle).toBe(false);
  await idleClosed;
  expect(idle.destroyed).toBe(true);
});
