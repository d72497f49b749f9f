/**
 * A tiny stand-in for the Kubernetes API, for component tests of lib/k8s: serves core/v1 pods,
 * nodes and endpoints and discovery.k8s.io/v1 endpointslices (get and paged list with
 * `limit`/`continue`, field selector `spec.nodeName`, label selectors by the API's rules),
 * watches (`?watch=true`: the stream stays open and carries the events the test sends), and answers
 * a status code chosen per path to test error handling. Plain HTTP by default; with `tls` it serves
 * HTTPS and requires a client certificate signed by `tls.ca`. It counts the connections it accepts
 * (TLS: completed handshakes), which is how tests prove that the client reuses connections.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { staticToken } from "../../lib/k8s/credentials.js";
import { createKubeClient, type KubeClient } from "../../lib/k8s/kube-client.js";
import { parseLabelSelector } from "./label-selector.js";

interface KubeObject {
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  [field: string]: unknown;
}

/**
 * A production KubeClient for a plain-HTTP test server at `url` (as a kubeconfig with
 * `insecure-skip-tls-verify: true` and token "t" would give).
 */
export function plainHttpClient(url: string): KubeClient {
  return createKubeClient({
    server: url,
    tls: { insecureSkipVerify: true },
    credentials: staticToken("t"),
    namespace: undefined,
    source: "test",
  });
}

export interface FakeKubeServerOptions {
  /** Serve HTTPS with this certificate; require client certificates signed by `ca`. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
}

export interface FakeKubeServer {
  /** e.g. `https://127.0.0.1:PORT`. */
  readonly url: string;
  readonly requests: string[];
  pods: KubeObject[];
  nodes: KubeObject[];
  endpoints: KubeObject[];
  endpointslices: KubeObject[];
  /** Answer this status (with a Status body) for request paths starting with the key. */
  failures: Map<string, number>;
  /** Connections accepted so far (HTTPS: TLS handshakes completed). */
  connections(): number;
  /** Watch streams open now. */
  openWatches(): number;
  /** Writes one event to every open watch stream. */
  sendWatchEvent(type: string, object: unknown): void;
  stop(): Promise<void>;
}

export interface FakeKubeApi extends FakeKubeServer {
  /** A plain-HTTP client of this server; stopped with it. */
  readonly client: KubeClient;
}

/** The plain-HTTP fake with a client (token "t"). */
export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const fake = await startFakeKubeServer();
  const client = plainHttpClient(fake.url);
  const stop = fake.stop;
  return Object.assign(fake, {
    client,
    stop: async () => {
      client.close();
      await stop();
    },
  });
}

export async function startFakeKubeServer(options: FakeKubeServerOptions = {}): Promise<FakeKubeServer> {
  const watches = new Set<ServerResponse>();
  let connections = 0;
  const state = {
    requests: [] as string[],
    pods: [] as KubeObject[],
    nodes: [] as KubeObject[],
    endpoints: [] as KubeObject[],
    endpointslices: [] as KubeObject[],
    failures: new Map<string, number>(),
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    for (const [prefix, status] of state.failures) {
      if (url.pathname.startsWith(prefix)) {
        return send(status, {
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: `injected ${status}`,
          code: status,
        });
      }
    }
    if (url.searchParams.get("watch") === "true") {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      watches.add(res);
      res.on("close", () => watches.delete(res));
      return;
    }
    // api v1 [namespaces ns] resource [name], or apis group version [namespaces ns] resource [name]
    const segments = url.pathname.split("/").filter(Boolean);
    const group = segments[0] === "apis" ? (segments[1] ?? "") : "";
    const parts = segments.slice(group ? 3 : 2);
    const namespace = parts[0] === "namespaces" && parts.length > 2 ? parts[1] : undefined;
    const [resource, name] = namespace ? parts.slice(2) : parts;
    const all =
      group === "discovery.k8s.io"
        ? resource === "endpointslices"
          ? state.endpointslices
          : undefined
        : resource === "pods"
          ? state.pods
          : resource === "nodes"
            ? state.nodes
            : resource === "endpoints"
              ? state.endpoints
              : undefined;
    if (!all) return send(404, { kind: "Status", code: 404, message: "no such resource" });
    const scoped = all.filter((o) => namespace === undefined || o.metadata.namespace === namespace);
    if (name) {
      const found = scoped.find((o) => o.metadata.name === name);
      return found
        ? send(200, found)
        : send(404, { kind: "Status", code: 404, message: `${resource} "${name}" not found` });
    }
    const nodeName = url.searchParams.get("fieldSelector")?.replace(/^spec\.nodeName=/, "");
    const labels = parseLabelSelector(url.searchParams.get("labelSelector") ?? "");
    if (!labels.ok)
      return send(400, { kind: "Status", code: 400, reason: "BadRequest", message: labels.error });
    const selected = scoped.filter(
      (o) => (!nodeName || o.spec?.nodeName === nodeName) && labels.matches(o.metadata.labels),
    );
    const limit = Number(url.searchParams.get("limit") ?? "0") || selected.length;
    const start = Number(url.searchParams.get("continue") ?? "0");
    const items = selected.slice(start, start + limit);
    const next = start + limit < selected.length ? String(start + limit) : undefined;
    send(200, {
      kind: "List",
      apiVersion: "v1",
      metadata: { resourceVersion: "1", ...(next ? { continue: next } : {}) },
      items,
    });
  };

  let server: Server;
  if (options.tls) {
    server = createHttpsServer(
      { ...options.tls, requestCert: true, rejectUnauthorized: true },
      handle,
    ) as unknown as Server;
    server.on("secureConnection", () => connections++);
  } else {
    server = createHttpServer(handle);
    server.on("connection", () => connections++);
  }
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `${options.tls ? "https" : "http"}://127.0.0.1:${port}`,
    connections: () => connections,
    openWatches: () => watches.size,
    sendWatchEvent(type: string, object: unknown) {
      for (const res of watches) res.write(`${JSON.stringify({ type, object })}\n`);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
