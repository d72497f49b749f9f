/**
 * A tiny plain-HTTP stand-in for the Kubernetes API, for component tests of lib/k8s: serves
 * core/v1 pods, nodes and endpoints (get and paged list with `limit`/`continue`, field selector
 * `spec.nodeName`), and answers a status code chosen per path to test error handling.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";

interface KubeObject {
  metadata: { name: string; namespace?: string };
  spec?: { nodeName?: string };
}

export interface FakeKubeApi {
  readonly kubeConfig: KubeConfig;
  readonly requests: string[];
  pods: KubeObject[];
  nodes: KubeObject[];
  endpoints: KubeObject[];
  /** Answer this status (with a Status body) for request paths starting with the key. */
  failures: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFakeKubeApi(): Promise<FakeKubeApi> {
  const state: Omit<FakeKubeApi, "kubeConfig" | "stop"> = {
    requests: [],
    pods: [],
    nodes: [],
    endpoints: [],
    failures: new Map(),
  };
  const server: Server = createServer((req, res) => {
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
    const parts = url.pathname.split("/").filter(Boolean); // api v1 [namespaces ns] resource [name]
    const namespace = parts[2] === "namespaces" && parts.length > 4 ? parts[3] : undefined;
    const rest = namespace ? parts.slice(4) : parts.slice(2);
    const [resource, name] = rest;
    const all =
      resource === "pods"
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
    const selected = nodeName ? scoped.filter((o) => o.spec?.nodeName === nodeName) : scoped;
    const limit = Number(url.searchParams.get("limit") ?? "0") || selected.length;
    const start = Number(url.searchParams.get("continue") ?? "0");
    const items = selected.slice(start, start + limit);
    const next = start + limit < selected.length ? String(start + limit) : undefined;
    send(200, { kind: "List", apiVersion: "v1", metadata: next ? { continue: next } : {}, items });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: "fake", server: `http://127.0.0.1:${port}`, skipTLSVerify: true },
    { name: "fake", token: "t" },
  );
  return Object.assign(state, {
    kubeConfig,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
