/**
 * lib/k8s/spiffeids.ts against a plain-HTTP stand-in for the API server's custom-resource endpoints: the
 * requests the client sends (paths, query, bodies) and how answers and errors come back.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";
import { createSpiffeIdApi, type SpiffeIdApi } from "../../../lib/k8s/spiffeids.js";
import type { SpiffeId } from "../../../lib/planner/spiffeid.js";
import { plainHttpClient } from "../../fakes/kube-api-server.js";

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

type Answer = { status: number; body: unknown };

const BASE = "/apis/spiffeid.spiffe.io/v1beta1";

function object(name: string, namespace = "default"): SpiffeId {
  return {
    apiVersion: "spiffeid.spiffe.io/v1beta1",
    kind: "SpiffeID",
    metadata: { name, namespace, resourceVersion: "1" },
    spec: { spiffeId: "spiffe://td/x", parentId: "spiffe://td/p", selector: { namespace } },
  };
}

describe("SpiffeIdApi over the KubeClient", () => {
  let server: Server;
  let client: KubeClient;
  let api: SpiffeIdApi;
  let requests: Recorded[];
  let answer: (request: Recorded) => Answer;

  beforeEach(async () => {
    requests = [];
    answer = () => ({ status: 200, body: {} });
    server = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://fake");
      const text = await readBody(req);
      const recorded = {
        method: req.method ?? "",
        path: url.pathname,
        query: url.searchParams,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      const { status, body } = answer(recorded);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    client = plainHttpClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    api = createSpiffeIdApi(client, { pageSize: 2 });
  });
  afterEach(
    () =>
      new Promise<void>((resolve) => {
        client.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  it("lists page by page, in one namespace or all, passing the label selector", async () => {
    const all = [object("a"), object("b"), object("c")];
    answer = ({ query }) => {
      const start = Number(query.get("continue") ?? "0");
      const next = start + 2 < all.length ? String(start + 2) : undefined;
      return {
        status: 200,
        body: { items: all.slice(start, start + 2), metadata: next ? { continue: next } : {} },
      };
    };
    expect((await api.list({ labelSelector: "podUid=u1" })).map((s) => s.metadata.name)).toEqual([
      "a",
      "b",
      "c",
    ]);
    expect(requests.map((r) => r.path)).toEqual([`${BASE}/spiffeids`, `${BASE}/spiffeids`]);
    expect(requests[0]?.query.get("labelSelector")).toBe("podUid=u1");
    expect(requests[0]?.query.get("limit")).toBe("2");
    expect(requests[1]?.query.get("continue")).toBe("2");
    requests = [];
    await api.list({ namespace: "ns1" });
    expect(requests[0]?.path).toBe(`${BASE}/namespaces/ns1/spiffeids`);
  });

  it("gets an object, and undefined for 404", async () => {
    answer = ({ path }) =>
      path.endsWith("/web")
        ? { status: 200, body: object("web") }
        : { status: 404, body: { kind: "Status", message: "not found" } };
    expect((await api.get("default", "web"))?.metadata.name).toBe("web");
    expect(await api.get("default", "gone")).toBeUndefined();
  });

  it("creates, replaces and writes status on the right paths with apiVersion and kind", async () => {
    answer = ({ body }) => ({ status: 200, body });
    await api.create({ metadata: { name: "web", namespace: "default" }, spec: object("web").spec });
    await api.replace(object("web"));
    await api.replaceStatus({ ...object("web"), status: { entryId: "e1" } });
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST ${BASE}/namespaces/default/spiffeids`,
      `PUT ${BASE}/namespaces/default/spiffeids/web`,
      `PUT ${BASE}/namespaces/default/spiffeids/web/status`,
    ]);
    for (const request of requests)
      expect(request.body).toMatchObject({ apiVersion: "spiffeid.spiffe.io/v1beta1", kind: "SpiffeID" });
    expect(requests[1]?.body).toMatchObject({ metadata: { resourceVersion: "1" } });
  });

  it("deletes with a UID precondition, and reports false for an object already gone", async () => {
    answer = ({ path }) =>
      path.endsWith("/gone")
        ? { status: 404, body: { kind: "Status", message: "not found" } }
        : { status: 200, body: {} };
    expect(await api.delete("default", "web", "uid-1")).toBe(true);
    expect(requests[0]).toMatchObject({ method: "DELETE", body: { preconditions: { uid: "uid-1" } } });
    expect(await api.delete("default", "gone")).toBe(false);
  });

  it("turns failures into KubeApiErrors naming the verb and resource", async () => {
    answer = ({ method }) =>
      method === "PUT"
        ? { status: 409, body: { kind: "Status", message: "the object has been modified" } }
        : { status: 403, body: { kind: "Status", message: "spiffeids is forbidden" } };
    const listed = await api.list().catch((error: unknown) => error);
    expect(listed).toBeInstanceOf(KubeApiError);
    expect(listed).toMatchObject({ kind: "forbidden" });
    expect((listed as Error).message).toContain('"list" on "spiffeids.spiffeid.spiffe.io"');
    const replaced = await api.replace(object("web")).catch((error: unknown) => error);
    expect(replaced).toMatchObject({ kind: "conflict", retryable: true });
    expect((replaced as Error).message).toContain(
      'update spiffeids.spiffeid.spiffe.io "web" in namespace "default"',
    );
  });
});

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    req.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    req.on("end", () => resolve(text));
  });
}
