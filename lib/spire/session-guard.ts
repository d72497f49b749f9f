/**
 * A guard against connectrpc/connect-es#1768 (open in connect-node 2.1.2): when a server sends GOAWAY
 * on an idle HTTP/2 session, as a stopping spire-server does, the session manager destroys the
 * session with an error that Node raises only once the socket has closed. A call arriving meanwhile
 * makes the manager drop its listeners first, and the error then crashes the process. Every session
 * a call ran on gets a listener of its own that ignores errors; the manager's listeners, while
 * attached, see them as before.
 */
import type { ClientHttp2Session } from "node:http2";
import type { GrpcTransportOptions } from "@connectrpc/connect-node";

export type SessionManager = NonNullable<GrpcTransportOptions["sessionManager"]>;

/** `manager`, with every session it hands out kept from raising an unhandled "error" event. */
export function guardSessions(manager: SessionManager): SessionManager {
  const guarded = new WeakSet<ClientHttp2Session>();
  return {
    get authority() {
      return manager.authority;
    },
    async request(method, path, headers, options) {
      const stream = await manager.request(method, path, headers, options);
      const session = stream.session as ClientHttp2Session | undefined;
      if (session && !guarded.has(session)) {
        guarded.add(session);
        session.on("error", () => undefined);
      }
      return stream;
    },
    notifyResponseByteRead: (stream) => manager.notifyResponseByteRead(stream),
  };
}
