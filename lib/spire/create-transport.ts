/**
 * The one place that turns the registrar's SPIRE settings into a transport: the server's Unix
 * admin socket when it is mounted, else TCP + mTLS with an SVID from the local SPIRE agent.
 */
import type { Logger } from "pino";
import { createMtlsTransport } from "./mtls-transport.js";
import {
  createUnixSocketTransport,
  parseServerTarget,
  type ServerLocation,
  type SpireTransport,
} from "./transport.js";
import { startX509SvidSource } from "./x509-source.js";

export interface SpireTransportSettings extends ServerLocation {
  /** `agent_socket_path`: the SPIRE agent's Workload API socket; required for a host:port server. */
  readonly agentSocketPath?: string;
  /** `trust_domain`: the remote server must present `spiffe://<trustDomain>/spire/server`. */
  readonly trustDomain: string;
  readonly logger: Logger;
}

/**
 * Picks the transport for `serverAddress`/`serverSocketPath`. Configuration mistakes are results;
 * nothing connects until the first call. For mTLS, `close()` also ends the Workload API stream.
 */
export function createSpireTransport(
  settings: SpireTransportSettings,
): { ok: true; value: SpireTransport } | { ok: false; error: string } {
  const target = parseServerTarget(settings);
  if (!target.ok) return target;
  if (target.value.kind === "unix") return { ok: true, value: createUnixSocketTransport(target.value.path) };
  const agentSocketPath = settings.agentSocketPath?.trim();
  if (!agentSocketPath) {
    return {
      ok: false,
      error: `server_address ${target.value.host}:${target.value.port} is remote: set agent_socket_path so the registrar can get an X509-SVID from the SPIRE agent for mTLS`,
    };
  }
  const svids = startX509SvidSource({
    agentSocketPath: agentSocketPath.replace(/^unix:\/\//, ""),
    logger: settings.logger,
  });
  const mtls = createMtlsTransport({
    host: target.value.host,
    port: target.value.port,
    trustDomain: settings.trustDomain,
    svids,
    logger: settings.logger,
  });
  return {
    ok: true,
    value: {
      ...mtls,
      close() {
        mtls.close();
        svids.close();
      },
    },
  };
}
