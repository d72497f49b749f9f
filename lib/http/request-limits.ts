/**
 * Bounds on what one HTTP request may cost a function: the body's size (answered 413 before the body
 * is read into memory) and the time a client may take to send its headers and its whole request.
 * Node's own defaults (60 s for headers, 300 s for a request, checked every 30 s) let a stalled client
 * hold a connection for minutes; these are seconds. The timeouts bound receiving the request only:
 * a long resync still answers when it is done.
 */

import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { systemCodeOf } from "../spire/cause-chain.js";

/** Default body limit: 3 MiB, kube-apiserver's own limit on a request body. */
export const DEFAULT_MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** Time a client has to send the request line and headers. */
export const HEADERS_TIMEOUT_MS = 10_000;

/** Time a client has to send the whole request, body included. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** How often Node checks the two timeouts above (its default, 30 s, would add up to 30 s to each). */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;

export interface RequestLimits {
  /** Largest accepted request body, in bytes. */
  readonly maxBodyBytes: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxBodyBytes: DEFAULT_MAX_REQUEST_BYTES,
  headersTimeoutMs: HEADERS_TIMEOUT_MS,
  requestTimeoutMs: REQUEST_TIMEOUT_MS,
};

/** The options of `http.createServer` / `https.createServer` that enforce the timeouts. */
export function serverTimeoutOptions(limits: RequestLimits): {
  headersTimeout: number;
  requestTimeout: number;
  connectionsCheckingInterval: number;
} {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.min(CONNECTIONS_CHECKING_INTERVAL_MS, limits.headersTimeoutMs),
  };
}

type Fetch = (request: Request, ...rest: never[]) => Response | Promise<Response>;

/**
 * `fetch` with a body limit: a declared `Content-Length` over `maxBytes` is answered 413 at once
 * (Node then discards the body as it arrives); a body without one (chunked) is read up to `maxBytes`
 * and answered 413 as soon as it goes over, the rest discarded as it arrives. Nothing over the limit
 * is kept in memory, and REQUEST_TIMEOUT_MS ends a body that never does.
 * The body is read here, before the app runs, so a client that goes away mid-body is logged once,
 * as one line with its code, and the app never sees a half-read request.
 */
export function limitRequestBody<F extends Fetch>(fetch: F, maxBytes: number, logger: Logger): F {
  const limited = async (request: Request, ...rest: never[]): Promise<Response> => {
    const declared = request.headers.get("content-length");
    if (declared !== null && !request.headers.has("transfer-encoding") && Number(declared) > maxBytes) {
      return tooLarge(maxBytes);
    }
    if (request.body === null) return fetch(request, ...rest);
    const reader = request.body.getReader();
    let body: Uint8Array | undefined;
    try {
      body = await readAtMost(reader, maxBytes);
    } catch (error) {
      logger.info(
        {
          // ECONNRESET for a client that went away
          [LogField.code]: systemCodeOf(error) ?? "aborted",
          [LogField.method]: request.method,
          [LogField.path]: new URL(request.url).pathname,
        },
        "client closed the connection before sending the whole request",
      );
      return new Response(null, { status: 400 });
    }
    if (body !== undefined) return fetch(new Request(request, { body }), ...rest);
    void discard(reader);
    return tooLarge(maxBytes);
  };
  return limited as F;
}

/** The whole body, or undefined as soon as it is longer than `maxBytes`. */
async function readAtMost(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, size);
    size += value.byteLength;
    if (size > maxBytes) return undefined;
    chunks.push(value);
  }
}

/**
 * Reads and drops the rest of a body, so the client can finish sending and read the 413 (closing the
 * connection instead makes most clients report a broken pipe, not the answer).
 */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  try {
    for (;;) if ((await reader.read()).done) return;
  } catch {
    // The connection was closed (or timed out): nothing left to drop.
  }
}

function tooLarge(maxBytes: number): Response {
  return Response.json({ error: `request body is larger than ${maxBytes} bytes` }, { status: 413 });
}
