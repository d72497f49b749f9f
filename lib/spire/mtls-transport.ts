/**
 * gRPC to a remote SPIRE server over TCP with mutual TLS. The registrar presents its X509-SVID
 * from the agent's Workload API (SPIRE authorizes the Entry admin RPCs for SVIDs of admin
 * entries), trusts only its trust domain's bundle, and accepts the server only if its certificate
 * names `spiffe://<trust_domain>/spire/server`. Each new HTTP/2 session handshakes with the newest
 * SVID, so rotation needs no restart.
 */
import { isIP } from "node:net";
import { type PeerCertificate, connect as tlsConnect } from "node:tls";
import { Code, type Transport } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { findInCauseChain, systemCodeOf } from "./cause-chain.js";
import { SpireError, trustDomainMismatchError } from "./errors.js";
import { hasSpiffeId, spireServerId, uriSans } from "./server-identity.js";
import { guardSessions } from "./session-guard.js";
import type { SpireTransport } from "./transport.js";
import type { X509SvidSource } from "./x509-source.js";

export interface MtlsTransportOptions {
  readonly host: string;
  readonly port: number;
  /** The registrar's `trust_domain`: the server must be `spiffe://<trustDomain>/spire/server`. */
  readonly trustDomain: string;
  readonly svids: X509SvidSource;
  readonly logger: Logger;
  /** Close the HTTP/2 session after this long without calls (default 60 s). */
  readonly idleConnectionTimeoutMs?: number;
  /** How long a call waits for the first SVID when the caller set no deadline (default 10 s). */
  readonly svidWaitMs?: number;
}

/**
 * Builds the transport without waiting: calls wait (within their own deadline) for the first SVID,
 * so a function can start before the agent has attested it. `close()` does not close `svids`.
 */
export function createMtlsTransport(options: MtlsTransportOptions): SpireTransport {
  const { host, port, svids, logger } = options;
  const expectedId = spireServerId(options.trustDomain);
  const authority = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  const baseUrl = `https://${authority}`;

  const connectTls = () => {
    const svid = svids.current();
    // Calls wait for an SVID before they reach the session manager, so this is a bug if it fires.
    if (!svid) throw new Error("mTLS connection attempted before the agent issued an X509-SVID");
    logger.debug({ target: authority, spiffeId: svid.spiffeId }, "opening mTLS session to SPIRE server");
    return tlsConnect({
      host,
      port,
      // SNI must not be an IP address; SPIRE ignores it anyway.
      ...(isIP(host) === 0 && { servername: host }),
      ALPNProtocols: ["h2"],
      cert: svid.certChainPem,
      key: svid.privateKeyPem,
      // Replaces the public CAs: only our trust domain's bundle may vouch for the server.
      ca: svid.bundlePem,
      rejectUnauthorized: true,
      // Runs after OpenSSL verified the chain against `ca`; the SPIFFE ID stands in for the host name.
      checkServerIdentity: (_hostname: string, certificate: PeerCertificate) =>
        hasSpiffeId(certificate.subjectaltname, expectedId)
          ? undefined
          : trustDomainMismatchError(expectedId, uriSans(certificate.subjectaltname), "TLS handshake"),
    });
  };

  const sessionManager = new Http2SessionManager(
    baseUrl,
    { idleConnectionTimeoutMs: options.idleConnectionTimeoutMs ?? 60_000 },
    { createConnection: connectTls },
  );
  const inner = createGrpcTransport({ baseUrl, sessionManager: guardSessions(sessionManager) });

  /** Waits for the SVID within the call's deadline; failures carry the RPC's name. */
  const ready = async (
    methodName: string,
    signal: AbortSignal | undefined,
    timeoutMs: number | undefined,
  ) => {
    const svid = await svids.waitForSvid(timeoutMs ?? options.svidWaitMs ?? 10_000, signal);
    if (!svid.ok) throw withMethod(svid.error, methodName);
  };

  const explain = (error: unknown, methodName: string): unknown =>
    explainTlsFailure(error, methodName, authority, svids.current()?.spiffeId);

  const transport: Transport = {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      await ready(method.name, signal, timeoutMs);
      try {
        return await inner.unary(method, signal, timeoutMs, header, input, contextValues);
      } catch (error) {
        throw explain(error, method.name);
      }
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      await ready(method.name, signal, timeoutMs);
      try {
        return await inner.stream(method, signal, timeoutMs, header, input, contextValues);
      } catch (error) {
        throw explain(error, method.name);
      }
    },
  };

  return { transport, target: authority, close: () => sessionManager.abort() };
}

function withMethod(error: SpireError, method: string): SpireError {
  return new SpireError(error.message, error.kind, error.code, method, { cause: error.cause });
}

/** OpenSSL's verification codes for a chain that does not lead to a trusted CA or is not valid now. */
const CHAIN_FAILURE = /^(UNABLE_TO_|CERT_|SELF_SIGNED_|DEPTH_ZERO_|ERR_TLS_CERT)/;

/**
 * Turns handshake failures into SpireErrors an operator can act on; other errors pass unchanged to
 * the client's generic mapping. Chain and alert failures count as retryable ("unavailable"): right
 * after a CA rotation (or a restart of a server with an in-memory key manager) the agent needs one
 * sync before it streams the bundle that verifies the server's new certificate.
 */
function explainTlsFailure(
  error: unknown,
  method: string,
  target: string,
  ownId: string | undefined,
): unknown {
  const ours = findInCauseChain(error, (e): e is SpireError => e instanceof SpireError);
  if (ours) return withMethod(ours, method);
  const code = systemCodeOf(error);
  if (code && CHAIN_FAILURE.test(code)) {
    return new SpireError(
      `SPIRE server at ${target} presented a certificate that the trust bundle from the SPIRE agent does not verify (${code}): is server_address a SPIRE server of this trust domain?`,
      "unavailable",
      Code.Unavailable,
      method,
      { cause: error },
    );
  }
  if (code?.startsWith("ERR_SSL_")) {
    return new SpireError(
      `SPIRE server at ${target} refused the TLS handshake with the registrar's X509-SVID ${ownId ?? "(none)"} (${code}): does the server trust this agent's bundle?`,
      "unavailable",
      Code.Unavailable,
      method,
      { cause: error },
    );
  }
  return error;
}
