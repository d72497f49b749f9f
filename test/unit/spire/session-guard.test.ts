import { EventEmitter } from "node:events";
import type { ClientHttp2Stream } from "node:http2";
import { expect, it, vi } from "vitest";
import { guardSessions, type SessionManager } from "../../../lib/spire/session-guard.js";

// The crash it guards against (connectrpc/connect-es#1768): test/component/spire/session-guard.test.ts.
it("guardSessions adds one error listener per session however many calls run on it, and passes the rest through", async () => {
  const session = new EventEmitter();
  const stream = { session } as unknown as ClientHttp2Stream;
  const manager: SessionManager = {
    authority: "http://localhost",
    request: async () => stream,
    notifyResponseByteRead: vi.fn(),
  };
  const guarded = guardSessions(manager);
  for (let i = 0; i < 5; i++) expect(await guarded.request("POST", "/m", {}, {})).toBe(stream);
  expect(session.listenerCount("error")).toBe(1);
  expect(guarded.authority).toBe("http://localhost");
  guarded.notifyResponseByteRead(stream);
  expect(manager.notifyResponseByteRead).toHaveBeenCalledWith(stream);
});
