import { describe, expect, it } from "vitest";
import { parseServerTarget } from "../../../lib/spire/transport.js";

describe("parseServerTarget", () => {
  it.each([
    [
      { serverSocketPath: "/run/spire/sockets/api.sock" },
      { kind: "unix", path: "/run/spire/sockets/api.sock" },
    ],
    [{ serverAddress: "unix:///tmp/api.sock" }, { kind: "unix", path: "/tmp/api.sock" }],
    [
      { serverAddress: "unix:///tmp/a.sock", serverSocketPath: "/tmp/b.sock" },
      { kind: "unix", path: "/tmp/a.sock" },
    ],
    [{ serverAddress: "spire-server.spire:8081" }, { kind: "tcp", host: "spire-server.spire", port: 8081 }],
    [{ serverAddress: "[::1]:8081" }, { kind: "tcp", host: "::1", port: 8081 }],
  ])("resolves %j", (location, target) => {
    expect(parseServerTarget(location)).toEqual({ ok: true, value: target });
  });

  it.each([
    [{}, "no SPIRE server configured"],
    [{ serverAddress: "unix://relative/api.sock" }, "absolute path"],
    [{ serverAddress: "spire-server" }, "expected unix:///path or host:port"],
    [{ serverAddress: "host:99999" }, "expected unix:///path or host:port"],
  ])("rejects %j", (location, message) => {
    const result = parseServerTarget(location);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});
