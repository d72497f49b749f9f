/**
 * A counting proxy in front of spire-server's API socket: the registrar (and the floor's writer)
 * are pointed at its Unix socket, and every gRPC call is passed through unchanged (headers, body,
 * trailers) while the proxy counts, per method, the calls, the failed ones (grpc-status other than
 * 0) and their items: entries listed for ListEntries (field 1 of each response), entries or ids
 * sent for the Batch* calls (field 1 of the request). ListEntries is counted apart with and without
 * a filter (field 1 of the request), and each call without a filter is kept with its times, so a
 * full list can be matched to the resync that made it. Messages are counted, never decoded.
 */
import * as http2 from "node:http2";
import { connect } from "node:net";
import { countInBody } from "./grpc-count.js";

/** The ListEntries calls with a filter and without one, as counted apart. */
export const LIST_FILTERED = "ListEntries (filtered)";
export const LIST_ALL = "ListEntries (no filter)";

export interface MethodCounts {
  calls: number;
  /** Calls answered with a grpc-status other than 0, or cut off. */
  failed: number;
  /** Entries listed (ListEntries) or entries / ids sent (Batch*). */
  items: number;
}

/** Counts by method name (ListEntries split into LIST_FILTERED and LIST_ALL). */
export type RpcCounts = Record<string, MethodCounts>;

/** One ListEntries call without a filter: when it was sent and answered, and what it listed. */
export interface FullListCall {
  readonly startMs: number;
  readonly endMs: number;
  readonly entries: number;
}

export interface SpireProxy {
  readonly socketPath: string;
  /** The counts so far (a copy). */
  counts(): RpcCounts;
  readonly fullLists: readonly FullListCall[];
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Which field of the request (`request`) or of the responses (`response`) a method's items are. */
const ITEMS: Readonly<Record<string, { side: "request" | "response"; field: number }>> = {
  ListEntries: { side: "response", field: 1 },
  BatchCreateEntry: { side: "request", field: 1 },
  BatchUpdateEntry: { side: "request", field: 1 },
  BatchDeleteEntry: { side: "request", field: 1 },
};

/** Listens on `socketPath` and forwards to the server socket `upstreamPath`. */
export async function startSpireProxy(upstreamPath: string, socketPath: string): Promise<SpireProxy> {
  const counts: RpcCounts = {};
  const fullLists: FullListCall[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let upstream: http2.ClientHttp2Session | undefined;
  const session = () => {
    if (upstream === undefined || upstream.closed || upstream.destroyed) {
      const opened = http2.connect("http://localhost", { createConnection: () => connect(upstreamPath) });
      opened.on("error", () => undefined); // each stream reports its own failure
      opened.on("close", () => {
        if (upstream === opened) upstream = undefined;
      });
      upstream = opened;
    }
    return upstream;
  };

  const server = http2.createServer();
  server.on("session", (incoming) => {
    sessions.add(incoming);
    incoming.on("close", () => sessions.delete(incoming));
  });
  server.on("stream", (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", () => undefined);
    stream.on("end", () => {
      const path = String(headers[":path"] ?? "");
      const call = { method: path.slice(path.lastIndexOf("/") + 1), request: Buffer.concat(chunks) };
      forward(session(), stream, headers, call, (outcome) => {
        const key = methodKey(call.method, call.request);
        const tally = tallyOf(counts, key);
        tally.calls++;
        if (!outcome.ok) tally.failed++;
        const items = ITEMS[call.method];
        if (items !== undefined) {
          const body = items.side === "request" ? call.request : outcome.response;
          tally.items += countInBody(body, items.field) ?? 0;
        }
        if (key === LIST_ALL) {
          fullLists.push({
            startMs: outcome.startMs,
            endMs: outcome.endMs,
            entries: countInBody(outcome.response, 1) ?? 0,
          });
        }
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });

  return {
    socketPath,
    counts: () => Object.fromEntries(Object.entries(counts).map(([key, value]) => [key, { ...value }])),
    fullLists,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const incoming of sessions) incoming.destroy();
      upstream?.destroy();
      await closed;
    },
  };
}

/**
 * The method's name, ListEntries split by whether the request has a filter (an unreadable request
 * counts as one without: a full list is never hidden).
 */
function methodKey(method: string, request: Uint8Array): string {
  if (method !== "ListEntries") return method;
  return (countInBody(request, 1) ?? 0) === 0 ? LIST_ALL : LIST_FILTERED;
}

function tallyOf(counts: RpcCounts, key: string): MethodCounts {
  let tally = counts[key];
  if (tally === undefined) {
    tally = { calls: 0, failed: 0, items: 0 };
    counts[key] = tally;
  }
  return tally;
}

interface Outcome {
  readonly ok: boolean;
  readonly startMs: number;
  readonly endMs: number;
  /** The response body (only kept for ListEntries, whose entries are counted). */
  readonly response: Buffer;
}

/** Sends one call upstream and relays its answer; `done` once it is answered or has failed. */
function forward(
  upstream: http2.ClientHttp2Session,
  stream: http2.ServerHttp2Stream,
  headers: http2.IncomingHttpHeaders,
  call: { readonly method: string; readonly request: Buffer },
  done: (outcome: Outcome) => void,
): void {
  const startMs = Date.now();
  const keep = call.method === "ListEntries";
  const response: Buffer[] = [];
  let status: string | undefined;
  let trailers: http2.IncomingHttpHeaders | undefined;
  let finished = false;
  const finish = (ok: boolean) => {
    if (finished) return;
    finished = true;
    done({ ok, startMs, endMs: Date.now(), response: Buffer.concat(response) });
  };
  const outgoing: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name !== ":scheme" && name !== ":authority" && value !== undefined) outgoing[name] = value;
  }
  const up = upstream.request(outgoing);
  up.end(call.request);
  up.on("response", (answer, flags) => {
    const relayed = withoutPseudo(answer, ":status");
    if ((flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0) {
      // Trailers-only: the status is in these headers and nothing follows.
      status = String(answer["grpc-status"] ?? "");
      stream.respond(relayed, { endStream: true });
      return;
    }
    stream.respond(relayed, { waitForTrailers: true });
  });
  up.on("data", (chunk: Buffer) => {
    if (keep) response.push(chunk);
    stream.write(chunk);
  });
  up.on("trailers", (received) => {
    trailers = received;
    status = String(received["grpc-status"] ?? "");
  });
  stream.on("wantTrailers", () => {
    stream.sendTrailers(
      withoutPseudo(trailers ?? { "grpc-status": "13", "grpc-message": "proxy: no trailers" }),
    );
  });
  up.on("end", () => {
    if (!stream.headersSent) return;
    if (!stream.writableEnded) stream.end();
    finish(status === "0");
  });
  up.on("error", (error) => {
    if (!stream.headersSent) {
      stream.respond(
        {
          ":status": 200,
          "content-type": "application/grpc",
          "grpc-status": "14",
          "grpc-message": error.message,
        },
        { endStream: true },
      );
    } else stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
    finish(false);
  });
  up.on("close", () => finish(status === "0"));
  stream.on("close", () => {
    if (!up.closed) up.close(http2.constants.NGHTTP2_CANCEL);
  });
}

/** `headers` without HTTP/2 pseudo-headers (but `keep`, e.g. ":status"). */
function withoutPseudo(headers: http2.IncomingHttpHeaders, keep?: string): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if ((!name.startsWith(":") || name === keep) && value !== undefined) out[name] = value;
  }
  return out;
}
