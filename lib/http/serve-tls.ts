/**
 * Serves an admission webhook over HTTPS, the way the API server calls it: TLS 1.2 or newer,
 * client certificates required and verified against `cacert_path` (unless verification is turned
 * off, which is logged loudly), and the certificate, key and CA re-read when their files change
 * (a rotated Secret) without a restart. A half-written pair is ignored until it is whole again.
 */

import { X509Certificate } from "node:crypto";
import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer as createHttpsServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { createSecureContext } from "node:tls";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Logger } from "pino";
import {
  DEFAULT_REQUEST_LIMITS,
  limitRequestBody,
  type RequestLimits,
  serverTimeoutOptions,
} from "./request-limits.js";
import type { ServedApp } from "./serve.js";

export interface TlsFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** Absent: client certificates are not verified. */
  readonly caCertPath?: string;
  /**
   * For error messages: the configuration keys naming the files (e.g. `cert_path`) and what makes
   * them, so an operator knows which setting or step to fix.
   */
  readonly origin?: {
    readonly certKey: string;
    readonly keyKey: string;
    readonly caKey?: string;
    readonly hint?: string;
  };
}

interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
}

/** Reads and checks the files; the messages are the Go registrar's (with the nil-error bug fixed). */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  let cert: Buffer;
  let key: Buffer;
  const hint = files.origin?.hint ? `; ${files.origin.hint}` : "";
  try {
    cert = readTlsFile(files.certPath, files.origin?.certKey);
    key = readTlsFile(files.keyPath, files.origin?.keyKey);
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`unable to load server keypair: ${describe(error)}${hint}`, { cause: error });
  }
  if (files.caCertPath === undefined) return { cert, key };
  let ca: Buffer;
  try {
    ca = readTlsFile(files.caCertPath, files.origin?.caKey);
  } catch (error) {
    throw new Error(`unable to read cacert file: ${describe(error)}${hint}`, { cause: error });
  }
  const blocks =
    ca.toString("utf8").match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const parsed = blocks.filter((block) => {
    try {
      new X509Certificate(block);
      return true;
    } catch {
      return false;
    }
  });
  if (parsed.length === 0)
    throw new Error(`unable to parse cacert file: no PEM certificate found in ${files.caCertPath}`);
  return { cert, key, ca };
}

export interface TlsServeOptions {
  /** Go-style `host:port`; an empty host listens on every interface. */
  readonly addr: string;
  readonly files: TlsFiles;
  readonly logger: Logger;
  readonly name: string;
  /** How often the files are checked for changes (default 5 s). */
  readonly reloadIntervalMs?: number;
  /**
   * Why no client certificates are verified when `files.caCertPath` is absent: an operator's
   * `insecure_skip_client_verification` (warned about loudly), or a webhook the API server calls
   * without one by design (the SpiffeID validation webhook).
   */
  readonly withoutClientCa?: "insecure-skip" | "not-requested";
  /** Default DEFAULT_REQUEST_LIMITS. */
  readonly limits?: Partial<RequestLimits>;
}

export async function serveTls(app: Hono, options: TlsServeOptions): Promise<ServedApp> {
  const { files, logger } = options;
  const { host, port } = parseAddr(options.addr);
  const material = loadTlsMaterial(files);
  const verifyClients = files.caCertPath !== undefined;
  if (!verifyClients && (options.withoutClientCa ?? "insecure-skip") === "insecure-skip") {
    logger.warn(
      "insecure_skip_client_verification is set: ANY client that can reach this port can call the webhook; do not run like this in production",
    );
  }
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const server = serve({
    fetch: limitRequestBody(app.fetch, limits.maxBodyBytes, options.logger),
    port,
    ...(host ? { hostname: host } : {}),
    createServer: createHttpsServer,
    serverOptions: {
      ...serverTimeoutOptions(limits),
      // A client that never finishes its TLS handshake is cut as one that never sends its headers
      // (Node's default waits 120 s).
      handshakeTimeout: limits.headersTimeoutMs,
      ...material,
      minVersion: "TLSv1.2",
      requestCert: verifyClients,
      rejectUnauthorized: verifyClients,
    },
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info(
    { address: options.addr, port: bound, skip_client_verification: !verifyClients },
    `${options.name}: serving HTTPS`,
  );

  const watched = [files.certPath, files.keyPath, ...(files.caCertPath ? [files.caCertPath] : [])];
  const reload = () => {
    try {
      server.setSecureContext({ ...loadTlsMaterial(files), minVersion: "TLSv1.2" });
      logger.info("reloaded TLS certificate, key and CA");
    } catch (error) {
      logger.warn(
        `TLS files changed but cannot be loaded yet; keeping the previous ones: ${describe(error)}`,
      );
    }
  };
  for (const path of watched)
    watchFile(path, { interval: options.reloadIntervalMs ?? 5_000, persistent: false }, reload);

  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        for (const path of watched) unwatchFile(path, reload);
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), 10_000).unref();
      }),
  };
}

/** `":8443"` -> all interfaces, 8443; `"127.0.0.1:0"` -> loopback, any free port. */
export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const match = /^(.*):(\d+)$/.exec(addr);
  if (!match) throw new Error(`addr ${JSON.stringify(addr)}: expected host:port or :port`);
  const host = (match[1] ?? "").replace(/^\[|\]$/g, "");
  return { host: host === "" ? undefined : host, port: Number(match[2]) };
}

/** Reads a file; a failure names the configuration key that set its path, when known. */
function readTlsFile(path: string, key: string | undefined): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    if (key === undefined) throw error;
    throw new Error(`${key} = ${JSON.stringify(path)}: ${describe(error)}`, { cause: error });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
