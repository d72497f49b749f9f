/**
 * The Kubernetes client's behaviour against a scripted plain-HTTP server: what it sends, how it
 * answers 401s and stale pooled connections, request deadlines, and how watch streams are read.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Credentials, staticToken, tokenFile } from "../../../lib/k8s/credentials.js";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import { execCredentials } from "../../../lib/k8s/exec-credential.js";
import { createKubeClient, type KubeClient, type KubeClientOptions } from "../../../lib/k8s/kube-client.js";
import { writeExecPlugin } from "../../fakes/exec-plugin.js";

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
  /** Requests before this one on the same connection. */
  readonly onConnection: number;
}

type Handler = (request: Received, res: ServerResponse) => void;

const pods = { verb: "get", resource: "pods", namespace: "ns", name: "p" };

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

describe("KubeClient", () => {
  let server: Server;
  let url: string;
  let received: Received[];
  let handler: Handler;
  let connections: number;
  const clients: KubeClient[] = [];
  let dir: string;

  const client = (
    credentials: Credentials = staticToken("t"),
    options: KubeClientOptions = {},
    path = "",
  ) => {
    const created = createKubeClient(
      {
        server: `${url}${path}`,
        tls: { insecureSkipVerify: false },
        credentials,
        namespace: "ns",
        source: "test",
      },
      options,
    );
    clients.push(created);
    return created;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "kube-client-"));
    received = [];
    connections = 0;
    handler = (_request, res) => json(res, 200, {});
    server = createServer((req, res) => {
      const socket = req.socket as typeof req.socket & { served?: number };
      const onConnection = socket.served ?? 0;
      socket.served = onConnection + 1;
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on("end", () => {
        const request = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body,
          onConnection,
        };
        received.push(request);
        handler(request, res);
      });
    });
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const created of clients.splice(0)) created.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends JSON with the credentials, sorted query parameters and the server URL's path prefix", async () => {
    handler = (_request, res) => json(res, 201, { metadata: { name: "p" } });
    const answer = await client(staticToken("secret"), {}, "/prefix").request(pods, {
      method: "PATCH",
      path: "/api/v1/namespaces/ns/pods/p",
      query: { fieldManager: "registrar", dryRun: "All", skipped: undefined },
      body: { metadata: { labels: { a: "b" } } },
      contentType: "application/merge-patch+json",
    });
    expect(answer).toEqual({ metadata: { name: "p" } });
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      method: "PATCH",
      url: "/prefix/api/v1/namespaces/ns/pods/p?dryRun=All&fieldManager=registrar",
      body: '{"metadata":{"labels":{"a":"b"}}}',
    });
    expect(received[0]?.headers).toMatchObject({
      authorization: "Bearer secret",
      "content-type": "application/merge-patch+json",
      accept: "application/json",
    });
  });

  it("answers undefined for a missing object and lists every page", async () => {
    handler = ({ url: path }, res) => {
      if (path.startsWith("/api/v1/namespaces/ns/pods/gone")) return json(res, 404, { kind: "Status" });
      const start = Number(new URL(path, "http://x").searchParams.get("continue") ?? "0");
      json(res, 200, {
        metadata: { resourceVersion: `rv${start}`, ...(start < 4 ? { continue: String(start + 2) } : {}) },
        items: [{ n: start }, { n: start + 1 }],
      });
    };
    const kube = client();
    expect(await kube.get(pods, "/api/v1/namespaces/ns/pods/gone")).toBeUndefined();
    const listed = await kube.list<{ n: number }, number>(
      { verb: "list", resource: "pods" },
      "/api/v1/pods",
      {
        pageSize: 2,
        map: (item) => item.n,
      },
    );
    expect(listed).toEqual({ items: [0, 1, 2, 3, 4, 5], resourceVersion: "rv4" });
    expect(received.slice(1).map((r) => r.url)).toEqual([
      "/api/v1/pods?limit=2",
      "/api/v1/pods?continue=2&limit=2",
      "/api/v1/pods?continue=4&limit=2",
    ]);
    expect(received.slice(1).map((r) => r.headers.accept)).toEqual(Array(3).fill("application/json"));

    // A metadata-only list asks for PartialObjectMetadata on every page.
    received.length = 0;
    await kube.list({ verb: "list", resource: "pods" }, "/api/v1/pods", { pageSize: 2, metadataOnly: true });
    expect(received.map((r) => r.headers.accept)).toEqual(
      Array(3).fill("application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"),
    );
  });

  it("hands each page of a list over as it arrives, before the next page is requested", async () => {
    handler = ({ url: path }, res) => {
      const start = Number(new URL(path, "http://x").searchParams.get("continue") ?? "0");
      json(res, 200, {
        metadata: { resourceVersion: "rv7", ...(start < 4 ? { continue: String(start + 2) } : {}) },
        items: [{ n: start }, { n: start + 1 }],
      });
    };
    const kube = client();
    const pages: { items: number[]; requested: number }[] = [];
    const resourceVersion = await kube.listPages<{ n: number }>(
      { verb: "list", resource: "pods" },
      "/api/v1/pods",
      (items) => pages.push({ items: items.map((item) => item.n), requested: received.length }),
      { pageSize: 2, query: { labelSelector: "app=web" } },
    );
    expect(resourceVersion).toBe("rv7");
    expect(pages).toEqual([
      { items: [0, 1], requested: 1 },
      { items: [2, 3], requested: 2 },
      { items: [4, 5], requested: 3 },
    ]);
    expect(received.map((r) => r.url)).toEqual([
      "/api/v1/pods?labelSelector=app%3Dweb&limit=2",
      "/api/v1/pods?continue=2&labelSelector=app%3Dweb&limit=2",
      "/api/v1/pods?continue=4&labelSelector=app%3Dweb&limit=2",
    ]);
  });

  it("reads a rotated token file again after a 401 and sends the request once more", async () => {
    const path = join(dir, "token");
    writeFileSync(path, "old\n");
    handler = ({ headers }, res) =>
      headers.authorization === "Bearer new"
        ? json(res, 200, { ok: true })
        : json(res, 401, { kind: "Status" });
    const kube = client(tokenFile(path, { now: () => 0 }));
    const rejected = await kube.request(pods, { method: "GET", path: "/x" }).catch((e: unknown) => e);
    // The file had not changed: one retry, then the 401 is reported.
    expect(rejected).toMatchObject({ kind: "unauthorized", status: 401 });
    expect((rejected as Error).message).toBe(
      'unauthorized: cannot get pods "p" in namespace "ns": the API server rejected the credentials',
    );
    expect(received).toHaveLength(2);
    writeFileSync(path, "new\n");
    expect(await kube.request(pods, { method: "GET", path: "/x" })).toEqual({ ok: true });
    expect(received.map((r) => r.headers.authorization)).toEqual([
      "Bearer old",
      "Bearer old",
      "Bearer old",
      "Bearer new",
    ]);
  });

  it("runs the exec plugin again after a 401, and keeps the new token", async () => {
    const plugin = writeExecPlugin(dir);
    handler = ({ headers }, res) =>
      headers.authorization === "Bearer tok-2-"
        ? json(res, 200, { ok: true })
        : json(res, 401, { kind: "Status" });
    const kube = client(
      execCredentials(
        {
          apiVersion: "client.authentication.k8s.io/v1",
          command: plugin.path,
          args: [],
          env: { RUNS_FILE: plugin.runsFile },
        },
        { now: () => 0 },
      ),
    );
    expect(await kube.request(pods, { method: "GET", path: "/x" })).toEqual({ ok: true });
    expect(await kube.request(pods, { method: "GET", path: "/x" })).toEqual({ ok: true });
    expect(plugin.runs()).toBe(2);
    expect(received.map((r) => r.headers.authorization)).toEqual([
      "Bearer tok-1-",
      "Bearer tok-2-",
      "Bearer tok-2-",
    ]);
  });

  it("reports credentials that cannot be read as unauthorized, naming the source", async () => {
    const error = await client(tokenFile(join(dir, "missing"), { now: () => 0 }))
      .request(pods, { method: "GET", path: "/x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ kind: "unauthorized", retryable: false });
    expect((error as Error).message).toMatch(
      /^unauthorized: cannot get pods "p" in namespace "ns": no credentials: cannot read token file .*missing: ENOENT/,
    );
    expect(received).toHaveLength(0);
  });

  it("sends a GET again when the server closed the pooled connection, but not a POST", async () => {
    // The second request on a connection finds it closed, as when the server's idle timeout wins a race.
    handler = ({ onConnection }, res) =>
      onConnection > 0 ? res.socket?.destroy() : json(res, 200, { ok: true });
    const kube = client();
    await kube.request(pods, { method: "GET", path: "/x" });
    expect(await kube.request(pods, { method: "GET", path: "/x" })).toEqual({ ok: true });
    expect(connections).toBe(2);
    const posted = await kube
      .request({ ...pods, verb: "create" }, { method: "POST", path: "/x", body: {} })
      .catch((e: unknown) => e);
    expect(posted).toMatchObject({ kind: "unavailable", retryable: true });
    expect((posted as Error).message).toMatch(
      /^API server unavailable: cannot create pods "p" in namespace "ns": /,
    );
  });

  it("gives up on a request that gets no answer within its deadline", async () => {
    handler = () => undefined;
    const error = await client(staticToken("t"), { timeoutMs: 50 })
      .request(pods, { method: "GET", path: "/x" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "unavailable" });
    expect((error as Error).message).toBe(
      'API server unavailable: cannot get pods "p" in namespace "ns": ETIMEDOUT: no answer within 50 ms',
    );
  });

  it("reads watch events split across chunks, and reports the server ending the stream", async () => {
    handler = (_request, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const lines = `${JSON.stringify({ type: "ADDED", object: { n: 1 } })}\n${JSON.stringify({ type: "MODIFIED", object: { n: 2 } })}\n`;
      res.write(lines.slice(0, 10));
      setTimeout(() => {
        res.write(lines.slice(10, 40));
        res.end(lines.slice(40));
      }, 5);
    };
    const events: unknown[] = [];
    const ended = new Promise<unknown>((resolve) => {
      void client().watch({
        call: { verb: "watch", resource: "pods" },
        path: "/api/v1/pods",
        query: { resourceVersion: "7" },
        onEvent: (type, object) => events.push([type, object]),
        onDone: resolve,
      });
    });
    expect(await ended).toBeUndefined();
    expect(events).toEqual([
      ["ADDED", { n: 1 }],
      ["MODIFIED", { n: 2 }],
    ]);
    expect(received[0]?.url).toBe("/api/v1/pods?resourceVersion=7&watch=true");
  });

  it("rejects a watch the server refuses, and calls no handler after abort", async () => {
    handler = ({ url: path }, res) => {
      if (path.startsWith("/forbidden")) return json(res, 403, { kind: "Status", message: "no" });
      res.writeHead(200);
      res.flushHeaders();
    };
    const kube = client();
    const refused = await kube
      .watch({
        call: { verb: "watch", resource: "pods" },
        path: "/forbidden",
        onEvent: () => undefined,
        onDone: () => undefined,
      })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({ kind: "forbidden", status: 403 });
    expect((refused as Error).message).toContain('needs RBAC permission "watch" on "pods"');

    const calls: string[] = [];
    const handle = await kube.watch({
      call: { verb: "watch", resource: "pods" },
      path: "/open",
      onEvent: () => calls.push("event"),
      onDone: () => calls.push("done"),
    });
    handle.abort();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls).toEqual([]);
  });

  it("ends open watches without calling their handlers when closed, and refuses requests after", async () => {
    handler = (_request, res) => {
      res.writeHead(200);
      res.flushHeaders();
    };
    const kube = client();
    const calls: string[] = [];
    await kube.watch({
      call: { verb: "watch", resource: "pods" },
      path: "/open",
      onEvent: () => calls.push("event"),
      onDone: () => calls.push("done"),
    });
    kube.close();
    const error = await kube.request(pods, { method: "GET", path: "/x" }).catch((e: unknown) => e);
    expect((error as Error).message).toContain("the Kubernetes client is closed");
    expect(calls).toEqual([]);
  });
});
