/**
 * Serves a hono app over plain HTTP (Knative and OpenFaaS terminate TLS in front of it) and shuts
 * down gracefully: on SIGTERM in-flight requests finish, idle connections close, and after a grace
 * period the rest are cut. Requests are bounded in size and time (request-limits.ts).
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Hono } from "hono";
import type { Logger } from "pino";
import {
  DEFAULT_REQUEST_LIMITS,
  limitRequestBody,
  type RequestLimits,
  serverTimeoutOptions,
} from "./request-limits.js";

export interface ServedApp {
  readonly port: number;
  close(): Promise<void>;
}

export async function serveApp(
  app: Hono,
  options: {
    port: number;
    hostname?: string;
    logger: Logger;
    name: string;
    /** Default DEFAULT_REQUEST_LIMITS. */
    limits?: Partial<RequestLimits>;
  },
): Promise<ServedApp> {
  const limits = { ...DEFAULT_REQUEST_LIMITS, ...options.limits };
  const server = serve({
    fetch: limitRequestBody(app.fetch, limits.maxBodyBytes, options.logger),
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    serverOptions: serverTimeoutOptions(limits),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const port = (server.address() as AddressInfo).port;
  options.logger.info({ port }, `${options.name} listening`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeIdleConnections" in server) server.closeIdleConnections();
        setTimeout(() => {
          if ("closeAllConnections" in server) server.closeAllConnections();
        }, 10_000).unref();
      }),
  };
}

/** Closes `served` on SIGTERM/SIGINT, then flushes the logger and exits. */
export function exitOnSignal(
  served: readonly ServedApp[],
  logger: Logger,
  cleanup: () => void = () => undefined,
): void {
  const stop = (signal: string) => {
    logger.info(`${signal} received: shutting down`);
    void Promise.all(served.map((s) => s.close())).finally(() => {
      cleanup();
      logger.flush();
      process.exit(0);
    });
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}
