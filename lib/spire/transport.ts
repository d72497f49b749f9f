/**
 * How the client reaches the SPIRE server: plaintext gRPC over the server's Unix admin socket.
 * SPIRE treats every caller on that socket as "local", which is what the entry admin RPCs need.
 */
import { connect as netConnect } from "node:net";
import type { Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { guardSessions } from "./session-guard.js";

/** A gRPC transport plus what it points at (for error messages) and a way to release it. */
export interface SpireTransport {
  readonly transport: Transport;
  /** Human-readable target, e.g. `unix:///run/spire/sockets/api.sock`. */
  readonly target: string;
  /** The socket path when the target is a Unix socket (used to explain ENOENT/EACCES). */
  readonly socketPath?: string;
  /** Closes the HTTP/2 session; in-flight calls fail. Idempotent. */
  close(): void;
}

/** Where the SPIRE server is, as the registrar config states it. */
export interface ServerLocation {
  /** `server_socket_path`: a filesystem path to the server's admin socket. */
  readonly serverSocketPath?: string;
  /** `server_address`: `unix:///path` (same as server_socket_path) or `host:port` for the remote path. */
  readonly serverAddress?: string;
}

export type ServerTarget =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/**
 * Resolves the config's server location. `server_address` wins when both are set because it is
 * the newer, explicit form. Expected failures (nothing set, malformed address) are results.
 */
export function parseServerTarget(
  location: ServerLocation,
): { ok: true; value: ServerTarget } | { ok: false; error: string } {
  const address = location.serverAddress?.trim();
  if (address) {
    if (address.startsWith("unix://")) {
      // Both unix:///abs/path (empty authority) and unix:/abs/path forms are in use; accept the first
      // strictly, since a relative "unix://rel/path" would silently mean a host named "rel".
      const path = address.slice("unix://".length);
      if (!path.startsWith("/")) {
        return {
          ok: false,
          error: `server_address ${JSON.stringify(address)}: a unix address needs an absolute path (unix:///path/to/api.sock)`,
        };
      }
      return { ok: true, value: { kind: "unix", path } };
    }
    const match = /^(?:dns:\/\/\/)?(\[[^\]]+\]|[^:/]+):(\d{1,5})$/.exec(address);
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port > 0 && port < 65536)) {
      return {
        ok: false,
        error: `server_address ${JSON.stringify(address)}: expected unix:///path or host:port`,
      };
    }
    return { ok: true, value: { kind: "tcp", host: match[1].replace(/^\[|\]$/g, ""), port } };
  }
  const socketPath = location.serverSocketPath?.trim();
  if (socketPath) return { ok: true, value: { kind: "unix", path: socketPath } };
  return { ok: false, error: "no SPIRE server configured: set server_socket_path or server_address" };
}

/** Options for the Unix socket transport; defaults suit a short-lived function invocation. */
export interface UnixSocketTransportOptions {
  /** Close the HTTP/2 session after this long without calls (default 60 s). */
  readonly idleConnectionTimeoutMs?: number;
}

/**
 * gRPC over a Unix socket. The base URL only fills the `:authority` and `:path` pseudo-headers;
 * the bytes go through `net.connect(socketPath)`. The session manager is what makes it closable:
 * without `close()` an idle session keeps the process (and test servers) alive.
 */
export function createUnixSocketTransport(
  socketPath: string,
  options: UnixSocketTransportOptions = {},
): SpireTransport {
  const sessionManager = new Http2SessionManager(
    "http://localhost",
    { idleConnectionTimeoutMs: options.idleConnectionTimeoutMs ?? 60_000 },
    { createConnection: () => netConnect(socketPath) },
  );
  const transport = createGrpcTransport({
    baseUrl: "http://localhost",
    sessionManager: guardSessions(sessionManager),
  });
  return {
    transport,
    target: `unix://${socketPath}`,
    socketPath,
    close: () => sessionManager.abort(),
  };
}
