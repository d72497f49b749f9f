/**
 * A small JSON client for the Kubernetes API over node:https (node:http for a plain-HTTP server),
 * built for many short calls: every request of a client shares ONE keep-alive connection pool, so
 * a burst of events costs a few TLS handshakes, not one per call. Long-lived watch streams use a
 * second pool, so open watches never hold the sockets requests need.
 *
 * Every failure is a KubeApiError naming the call (verb, resource, namespace, name). A 401 is
 * answered once by refreshing the credentials (rotated token file, re-run exec plugin) and sending
 * again; a request that fails because the server closed an idle pooled connection is sent again once
 * when it is safe to repeat (GET, PUT, DELETE).
 */
import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingMessage,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import {
  credentialError,
  httpError,
  KubeApiError,
  type KubeCall,
  responseError,
  transportError,
} from "./errors.js";
import type { KubeTarget } from "./kube-target.js";

/**
 * Sockets for requests per client. An API read takes a few milliseconds, so 16 in flight serve
 * thousands of calls a second, more than SPIRE's writes absorb; beyond that, more sockets would only
 * add handshakes and API server memory (and API Priority and Fairness queues them anyway).
 */
export const DEFAULT_MAX_SOCKETS = 16;
/** Deadline of one request, from sending to the end of the answer. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * An idle pooled socket is closed after this long, below the idle timeouts of API servers and load
 * balancers in front of them, so a request rarely meets a socket the server has just closed.
 */
const IDLE_SOCKET_MS = 30_000;
const DEFAULT_PAGE_SIZE = 500;
const USER_AGENT = "spire-k8s-registrar-functions";
/** Methods whose request is safe to send again after a stale pooled socket failed it. */
const IDEMPOTENT = new Set(["GET", "PUT", "DELETE"]);
/** How a request fails on a pooled socket the server closed just before it was used. */
const STALE_SOCKET_CODES = new Set(["ECONNRESET", "EPIPE"]);

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface KubeRequest {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** e.g. `/api/v1/namespaces/default/pods/web` (appended to the server URL's path). */
  readonly path: string;
  /** Undefined values are left out; keys are sent sorted. */
  readonly query?: Query;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** Content type of the body (default `application/json`; e.g. `application/merge-patch+json`). */
  readonly contentType?: string;
  /** What to answer with (default `application/json`; e.g. METADATA_ONLY_LIST). */
  readonly accept?: string;
}

/** Accept header of a list whose items are PartialObjectMetadata: the API server sends only their metadata. */
export const METADATA_ONLY_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

/** Every item of a paged list, and the list's resourceVersion (to watch from). */
export interface KubeList<T> {
  readonly items: T[];
  readonly resourceVersion: string | undefined;
}

export interface PageOptions {
  readonly query?: Query;
  /** Items per response (default 500); the API server may return fewer. */
  readonly pageSize?: number;
  /** Items as PartialObjectMetadata (only `metadata`): less for the API server to send and for us to parse. */
  readonly metadataOnly?: boolean;
}

export interface ListOptions<T, R> extends PageOptions {
  /** Applied to each item as its page arrives, so only what it keeps stays in memory. */
  readonly map?: (item: T) => R;
}

export interface WatchRequest {
  readonly call: KubeCall;
  /** The collection, e.g. `/api/v1/pods`; `watch=true` is added. */
  readonly path: string;
  readonly query?: Query;
  /** Ends a stream still open after this long (onDone with an error): a guard against dead connections. */
  readonly deadlineMs?: number;
  /** Each event, in order: `ADDED`, `MODIFIED`, `DELETED`, `BOOKMARK` or `ERROR` (object: a Status). */
  readonly onEvent: (type: string, object: unknown) => void;
  /** The stream ended: by the server (undefined) or by a failure. Not called after `abort()`. */
  readonly onDone: (error: KubeApiError | undefined) => void;
}

export interface WatchHandle {
  /** Closes the stream; no more events, and `onDone` is not called. */
  abort(): void;
}

export interface KubeClient {
  /** The API server URL as configured. */
  readonly server: string;
  /** The kubeconfig context's namespace (in-cluster: the service account's), if any. */
  readonly namespace: string | undefined;
  /** Sends one request and parses the JSON answer; a non-2xx answer is a KubeApiError. */
  request<T>(call: KubeCall, request: KubeRequest): Promise<T>;
  /** GETs one object; undefined when it does not exist (404). */
  get<T>(call: KubeCall, path: string): Promise<T | undefined>;
  /** Lists a collection page by page (`limit` and `continue`). */
  list<T, R = T>(call: KubeCall, path: string, options?: ListOptions<T, R>): Promise<KubeList<R>>;
  /**
   * Lists a collection page by page as `list` does, but hands each page's items to `onPage` as the
   * page arrives and keeps none of them, so a page can be collected before the next is read. Resolves
   * with the list's resourceVersion once the last page is handled.
   */
  listPages<T>(
    call: KubeCall,
    path: string,
    onPage: (items: T[]) => void,
    options?: PageOptions,
  ): Promise<string | undefined>;
  /** Opens a watch; resolves once the API server accepted it (a non-2xx answer rejects). */
  watch(request: WatchRequest): Promise<WatchHandle>;
  /** Ends open watches and closes every pooled connection. */
  close(): void;
}

export interface KubeClientOptions {
  /** Sockets for requests (default 16); watches have their own pool. */
  readonly maxSockets?: number;
  /** Deadline of one request (default 30 s). */
  readonly timeoutMs?: number;
}

/** The response of one exchange, once its headers arrived; `timer` is its deadline. */
interface Opened {
  readonly req: ClientRequest;
  readonly res: IncomingMessage;
  readonly timer: NodeJS.Timeout;
}

/** A request that got no response; `reusedSocket` says whether it went out on a pooled socket. */
class SendFailure extends Error {
  readonly reusedSocket: boolean;
  constructor(cause: unknown, reusedSocket: boolean) {
    super(cause instanceof Error ? cause.message : String(cause), { cause });
    this.reusedSocket = reusedSocket;
  }
}

export function createKubeClient(target: KubeTarget, options: KubeClientOptions = {}): KubeClient {
  const base = new URL(target.server);
  const prefix = base.pathname.replace(/\/+$/, "");
  const secure = base.protocol === "https:";
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const tls = secure
    ? {
        ...(target.tls.ca ? { ca: target.tls.ca } : {}),
        ...(target.tls.cert ? { cert: target.tls.cert } : {}),
        ...(target.tls.key ? { key: target.tls.key } : {}),
        ...(target.tls.servername ? { servername: target.tls.servername } : {}),
        rejectUnauthorized: !target.tls.insecureSkipVerify,
      }
    : {};
  const pool = { keepAlive: true, ...tls };
  const maxSockets = options.maxSockets ?? DEFAULT_MAX_SOCKETS;
  const requestAgent = secure
    ? new HttpsAgent({ ...pool, maxSockets, timeout: IDLE_SOCKET_MS })
    : new HttpAgent({ ...pool, maxSockets, timeout: IDLE_SOCKET_MS });
  // One socket per open watch, however many: bounding them would stall a watch behind another.
  const watchAgent = secure ? new HttpsAgent(pool) : new HttpAgent(pool);
  const send = secure ? httpsRequest : httpRequest;
  const watches = new Set<WatchHandle>();
  let closed = false;

  function urlOf(path: string, query: Query | undefined): URL {
    const search = new URLSearchParams();
    for (const key of Object.keys(query ?? {}).sort()) {
      const value = query?.[key];
      if (value !== undefined) search.set(key, String(value));
    }
    const text = search.toString();
    return new URL(`${prefix}${path}${text ? `?${text}` : ""}`, base.origin);
  }

  async function headersFor(
    call: KubeCall,
    body: string | undefined,
    contentType: string | undefined,
    accept = "application/json",
  ) {
    const headers: Record<string, string> = { accept, "user-agent": USER_AGENT };
    if (body !== undefined) {
      headers["content-type"] = contentType ?? "application/json";
      headers["content-length"] = String(Buffer.byteLength(body));
    }
    let authorization: string | undefined;
    try {
      authorization = await target.credentials.authorization();
    } catch (error) {
      throw credentialError(call, error);
    }
    if (authorization) headers.authorization = authorization;
    return headers;
  }

  /** Sends one request; resolves when the response headers arrive (the deadline keeps running). */
  function open(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    agent: HttpAgent,
  ): Promise<Opened> {
    return new Promise((resolve, reject) => {
      const req = send(url, { method, headers, agent }, (res) => resolve({ req, res, timer }));
      const timer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: "ETIMEDOUT" }));
      }, timeoutMs);
      req.on("error", (error) => {
        clearTimeout(timer);
        reject(new SendFailure(error, req.reusedSocket));
      });
      req.end(body);
    });
  }

  /**
   * Sends until there is an answer worth returning: once more after a stale pooled socket (safe
   * methods only) and once more after a 401 the credentials could fix.
   */
  async function exchange(
    call: KubeCall,
    method: string,
    url: URL,
    body: string | undefined,
    contentType: string | undefined,
    accept: string | undefined,
    agent: HttpAgent,
  ): Promise<Opened> {
    let socketRetried = false;
    let authRetried = false;
    for (;;) {
      if (closed) throw transportError(call, new Error("the Kubernetes client is closed"));
      const headers = await headersFor(call, body, contentType, accept);
      let opened: Opened;
      try {
        opened = await open(method, url, headers, body, agent);
      } catch (error) {
        const failure = error as SendFailure;
        const code = (failure.cause as { code?: unknown } | undefined)?.code;
        const stale = failure.reusedSocket && typeof code === "string" && STALE_SOCKET_CODES.has(code);
        if (stale && !socketRetried && IDEMPOTENT.has(method)) {
          socketRetried = true;
          continue;
        }
        throw transportError(call, failure.cause);
      }
      if (opened.res.statusCode === 401 && !authRetried && target.credentials.invalidate()) {
        authRetried = true;
        clearTimeout(opened.timer);
        opened.res.resume();
        continue;
      }
      return opened;
    }
  }

  async function readBody(call: KubeCall, { req, res, timer }: Opened): Promise<string> {
    try {
      return await new Promise<string>((resolve, reject) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
        res.on("error", reject);
        req.on("error", reject);
      });
    } catch (error) {
      throw transportError(call, error);
    } finally {
      clearTimeout(timer);
    }
  }

  async function request<T>(call: KubeCall, kubeRequest: KubeRequest): Promise<T> {
    const body = kubeRequest.body === undefined ? undefined : JSON.stringify(kubeRequest.body);
    const url = urlOf(kubeRequest.path, kubeRequest.query);
    const { method, contentType, accept } = kubeRequest;
    const opened = await exchange(call, method, url, body, contentType, accept, requestAgent);
    const status = opened.res.statusCode ?? 0;
    const text = await readBody(call, opened);
    if (status < 200 || status >= 300) throw httpError(call, status, text);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw responseError(call, `the API server answered invalid JSON (HTTP ${status})`, error);
    }
  }

  async function watch(watchRequest: WatchRequest): Promise<WatchHandle> {
    const { call } = watchRequest;
    const url = urlOf(watchRequest.path, { ...watchRequest.query, watch: true });
    const opened = await exchange(call, "GET", url, undefined, undefined, undefined, watchAgent);
    const status = opened.res.statusCode ?? 0;
    if (status < 200 || status >= 300) throw httpError(call, status, await readBody(call, opened));
    clearTimeout(opened.timer);
    return streamEvents(call, opened, watchRequest);
  }

  function streamEvents(call: KubeCall, { req, res }: Opened, watchRequest: WatchRequest): WatchHandle {
    let done = false;
    let buffer = "";
    const handle: WatchHandle = {
      abort() {
        if (done) return;
        done = true;
        finished();
        req.destroy();
      },
    };
    const deadline =
      watchRequest.deadlineMs === undefined
        ? undefined
        : setTimeout(() => {
            req.destroy();
            end(transportError(call, new Error(`watch still open after ${watchRequest.deadlineMs} ms`)));
          }, watchRequest.deadlineMs);
    const finished = () => {
      clearTimeout(deadline);
      watches.delete(handle);
    };
    const end = (error: KubeApiError | undefined) => {
      if (done) return;
      done = true;
      finished();
      watchRequest.onDone(error);
    };
    watches.add(handle);
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      // Only the new chunk is searched for line ends, and the buffer is cut once per chunk.
      let start = 0;
      let from = buffer.length;
      buffer += chunk;
      for (
        let newline = buffer.indexOf("\n", from);
        newline >= 0 && !done;
        newline = buffer.indexOf("\n", from)
      ) {
        const line = buffer.slice(start, newline).trim();
        start = newline + 1;
        from = start;
        if (!line) continue;
        let event: { type?: unknown; object?: unknown };
        try {
          event = JSON.parse(line);
        } catch (error) {
          req.destroy();
          end(responseError(call, "the API server sent an invalid watch event", error));
          return;
        }
        watchRequest.onEvent(String(event.type), event.object);
      }
      buffer = buffer.slice(start);
    });
    res.on("end", () => end(undefined));
    res.on("error", (error) => end(transportError(call, error)));
    req.on("error", (error) => end(transportError(call, error)));
    return handle;
  }

  async function listPages<T>(
    call: KubeCall,
    path: string,
    onPage: (items: T[]) => void,
    pageOptions: PageOptions = {},
  ): Promise<string | undefined> {
    const limit = pageOptions.pageSize ?? DEFAULT_PAGE_SIZE;
    let continueToken: string | undefined;
    let resourceVersion: string | undefined;
    do {
      const page = await request<{
        items?: T[];
        metadata?: { continue?: string; resourceVersion?: string };
      }>(call, {
        method: "GET",
        path,
        query: { ...pageOptions.query, limit, continue: continueToken },
        ...(pageOptions.metadataOnly ? { accept: METADATA_ONLY_LIST } : {}),
      });
      onPage(page.items ?? []);
      resourceVersion = page.metadata?.resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return resourceVersion;
  }

  return {
    server: target.server,
    namespace: target.namespace,
    request,
    async get<T>(call: KubeCall, path: string): Promise<T | undefined> {
      try {
        return await request<T>(call, { method: "GET", path });
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async list<T, R = T>(call: KubeCall, path: string, listOptions: ListOptions<T, R> = {}) {
      const items: R[] = [];
      const { map } = listOptions;
      const resourceVersion = await listPages<T>(
        call,
        path,
        (page) => {
          for (const item of page) items.push(map ? map(item) : (item as unknown as R));
        },
        listOptions,
      );
      return { items, resourceVersion };
    },
    listPages,
    watch,
    close() {
      closed = true;
      for (const handle of [...watches]) handle.abort();
      requestAgent.destroy();
      watchAgent.destroy();
    },
  };
}
