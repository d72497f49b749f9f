/**
 * Test doubles for the mTLS path: a SPIRE agent Workload API on a Unix socket whose SVID stream the
 * test drives, and a TLS SPIRE server (Entry.CountEntries only) that records the client
 * certificates it saw. Certificates come from the static PKI in ./fixtures (see generate.sh).
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TLSSocket } from "node:tls";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import {
  SpiffeWorkloadAPI,
  type X509SVIDResponse,
  X509SVIDResponseSchema,
} from "../../../proto/gen/spiffe/workload/workload_pb.js";
import { Entry as EntryService } from "../../../proto/gen/spire/api/server/entry/v1/entry_pb.js";

const FIXTURES = join(import.meta.dirname, "fixtures");

/** A fixture's PEM text: `pem("server")`, `pem("server", "key")`. */
export function pem(name: string, kind: "pem" | "key" = "pem"): string {
  return readFileSync(join(FIXTURES, `${name}.${kind}`), "utf8");
}

/** A Workload API X509SVIDResponse for a fixture leaf signed by `ca.pem`. */
export function svidResponse(leaf: string, spiffeId = "spiffe://example.org/registrar"): X509SVIDResponse {
  return create(X509SVIDResponseSchema, {
    svids: [
      {
        spiffeId,
        x509Svid: new X509Certificate(pem(leaf)).raw,
        x509SvidKey: createPrivateKey(pem(leaf, "key")).export({ format: "der", type: "pkcs8" }),
        bundle: new X509Certificate(pem("ca")).raw,
      },
    ],
  });
}

/** What the fake agent answers on each FetchX509SVID stream. */
export type AgentAnswer =
  | { readonly send: X509SVIDResponse }
  | { readonly fail: Code; readonly message: string };

export interface FakeAgent {
  readonly socketPath: string;
  /** Pushes an answer to every open stream and to streams opened later (which get the newest). */
  push(answer: AgentAnswer): void;
  /** Streams opened so far, and how many of them lacked the `workload.spiffe.io` header. */
  readonly streamsOpened: number;
  readonly missingHeader: number;
  stop(): Promise<void>;
}

/** Starts a fake agent; until the first `push` every stream waits. */
export async function startFakeAgent(): Promise<FakeAgent> {
  const dir = mkdtempSync(join(tmpdir(), "fake-agent-"));
  const socketPath = join(dir, "agent.sock");
  let latest: AgentAnswer | undefined;
  const listeners = new Set<() => void>();
  const stats = { streamsOpened: 0, missingHeader: 0 };
  const routes = (router: ConnectRouter) =>
    router.service(SpiffeWorkloadAPI, {
      async *fetchX509SVID(_request, context) {
        stats.streamsOpened++;
        if (context.requestHeader.get("workload.spiffe.io") !== "true") {
          stats.missingHeader++;
          throw new ConnectError("security header missing from request", Code.InvalidArgument);
        }
        let seen: AgentAnswer | undefined;
        while (!context.signal.aborted) {
          if (latest !== undefined && latest !== seen) {
            seen = latest;
            if ("fail" in seen) throw new ConnectError(seen.message, seen.fail);
            yield seen.send;
          }
          await new Promise<void>((resolve) => {
            listeners.add(resolve);
            context.signal.addEventListener("abort", () => resolve(), { once: true });
          });
        }
      },
      fetchX509Bundles() {
        throw new ConnectError("not implemented", Code.Unimplemented);
      },
    });
  const server = http2.createServer(
    connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    push(answer) {
      latest = answer;
      for (const wake of listeners) wake();
      listeners.clear();
    },
    get streamsOpened() {
      return stats.streamsOpened;
    },
    get missingHeader() {
      return stats.missingHeader;
    },
    async stop() {
      for (const wake of listeners) wake();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FakeTlsSpireServer {
  readonly port: number;
  /** Serial numbers of the client certificates of each accepted TLS connection, in order. */
  readonly clientSerials: readonly string[];
  /** Ends every HTTP/2 session, so the client's next call handshakes again. */
  dropSessions(): void;
  stop(): Promise<void>;
}

/** A TLS SPIRE server presenting fixture `serverCert`, requiring client certs from `ca.pem`. */
export async function startFakeTlsSpireServer(serverCert: string): Promise<FakeTlsSpireServer> {
  const clientSerials: string[] = [];
  const routes = (router: ConnectRouter) =>
    router.service(EntryService, {
      countEntries: () => ({ count: 42 }),
    });
  const server = http2.createSecureServer(
    {
      cert: pem(serverCert),
      key: pem(serverCert, "key"),
      ca: pem("ca"),
      requestCert: true,
      rejectUnauthorized: true,
    },
    connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }),
  );
  server.on("secureConnection", (socket: TLSSocket) => {
    clientSerials.push(socket.getPeerCertificate().serialNumber);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return {
    port: address.port,
    clientSerials,
    dropSessions() {
      for (const session of sessions) session.close();
    },
    async stop() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The serial number of a fixture certificate, as node:tls reports it. */
export function serialOf(name: string): string {
  return new X509Certificate(pem(name)).serialNumber;
}
