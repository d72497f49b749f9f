/**
 * The SPIRE transport a configuration asks for: the server's admin socket (`server_socket_path`
 * or `server_address = "unix://..."`).
 */
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import { LogField } from "../log/log-fields.js";
import { createUnixSocketTransport, parseServerTarget, type SpireTransport } from "../spire/transport.js";
import { StartupError } from "./runtime.js";

export async function createSpireTransport(config: Config, logger: Logger): Promise<SpireTransport> {
  const target = parseServerTarget({
    serverAddress: config.serverAddress,
    serverSocketPath: config.serverSocketPath,
  });
  if (!target.ok) throw new StartupError([target.error]);
  if (target.value.kind === "unix") {
    logger.info(
      { [LogField.address]: `unix://${target.value.path}` },
      "connecting to the SPIRE server socket",
    );
    return createUnixSocketTransport(target.value.path);
  }
  throw new StartupError([
    `server_address ${config.serverAddress}: the remote (mTLS) transport is not available in this build`,
  ]);
}
