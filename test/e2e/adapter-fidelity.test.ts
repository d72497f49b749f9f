/**
 * Event-format fidelity: Knative's real ApiServerSource receive adapter (built by
 * `PEERS=all npm run peers`) watches the real kube-apiserver and delivers to the k8s-events
 * function through a recording proxy. The function must register the pod from the adapter's
 * events, and the project's own bridge must produce the same CloudEvent for the same change (every
 * attribute but the random id), so the end-to-end tests that use the bridge test the real format.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { toCloudEvent } from "../../lib/bridge/to-cloudevent.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { peerBinary, skipWithoutPeers } from "./harness/peers.js";
import { freePorts } from "./harness/ports.js";
import { type PeerProcess, printPeerLogs, spawnPeer, waitUntil } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { eventually } from "./support/eventually.js";
import { type ReconcileFunctions, startReconcileFunctions } from "./support/reconcile-functions.js";
import { podEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const NS = "adapter";

interface Recorded {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Records each request, then forwards it to `target` and answers with the target's status. */
async function startRecordingProxy(
  target: () => string,
): Promise<{ url: string; recorded: Recorded[]; server: Server }> {
  const recorded: Recorded[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      recorded.push({ headers: req.headers, body });
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(
          ([name, value]) => typeof value === "string" && name !== "host" && name !== "content-length",
        ),
      ) as Record<string, string>;
      fetch(target(), { method: "POST", headers, body }).then(
        (answer) => {
          res.writeHead(answer.status);
          res.end();
        },
        () => {
          res.writeHead(502);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, recorded, server };
}

const PEERS = [...CLUSTER_PEERS, "spire-server", "apiserver_receive_adapter"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("Knative ApiServerSource adapter fidelity", () => {
  let dir: RunDir | undefined;
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let fns: ReconcileFunctions | undefined;
  let adapter: PeerProcess | undefined;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>> | undefined;

  beforeAll(async () => {
    dir = await makeRunDir("adapter", (line) => process.stderr.write(`[e2e] ${line}\n`));
    plane = await startCluster({ nodes: 1 });
    spireServer = await startSpireServer({ trustDomain: TD });
    fns = await startReconcileFunctions({
      dir: dir.path,
      name: "adapter",
      kubeconfigPath: plane.kubeconfigPath,
      socketPath: spireServer.socketPath,
      trustDomain: TD,
      cluster: "adapter",
    });
    const eventsUrl = fns.eventsUrl;
    proxy = await startRecordingProxy(() => eventsUrl);
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    await w.createServiceAccount(NS, "api");
    const [profilingPort] = (await freePorts(1)) as [number];
    adapter = spawnPeer({
      name: "apiserver_receive_adapter",
      command: peerBinary("apiserver_receive_adapter"),
      args: [],
      logPath: join(dir.path, "adapter.log"),
      env: {
        ...process.env,
        KUBECONFIG: plane.kubeconfigPath,
        K_SINK: proxy.url,
        NAME: "e2e-source",
        NAMESPACE: NS,
        SYSTEM_NAMESPACE: "knative-eventing",
        METRICS_DOMAIN: "knative.dev/eventing",
        PROFILING_PORT: String(profilingPort),
        K_SOURCE_CONFIG: JSON.stringify({
          namespaces: [NS],
          allNamespaces: false,
          resources: [{ gvr: { Group: "", Version: "v1", Resource: "pods" } }],
          mode: "Reference",
        }),
      },
    });
    // The adapter's probe server listens on :8080, fixed in knative.dev/pkg.
    await waitUntil(
      async () => (await fetch("http://127.0.0.1:8080/readiness").catch(() => undefined))?.ok === true,
      {
        what: "apiserver_receive_adapter /readiness",
        timeoutMs: 60_000,
        intervalMs: 250,
        peer: adapter,
      },
    );
  });

  afterAll(async () => {
    await adapter?.stop();
    await new Promise<void>((resolve) => (proxy ? proxy.server.close(() => resolve()) : resolve()));
    await fns?.stop();
    await spireServer?.stop();
    await plane?.stop();
    await dir?.remove();
  });

  beforeEach(() => onTestFailed(printPeerLogs));

  it("registers a pod from the adapter's events, which match the bridge's format", async () => {
    if (!plane || !fns || !proxy) throw new Error("setup failed (see beforeAll)");
    const { spire } = fns;
    await workloads(plane.kubeConfig).runPod(NS, "via-adapter", { serviceAccount: "api" });
    await eventually(
      async () =>
        expect(await podEntries(spire, NS, "via-adapter")).toMatchObject([
          { spiffeId: `spiffe://${TD}/ns/${NS}/sa/api` },
        ]),
      { timeoutMs: 30_000, what: "the entry of the pod created through the adapter" },
    );

    const add = proxy.recorded.find((event) => event.headers["ce-type"] === "dev.knative.apiserver.ref.add");
    expect(add, "the adapter delivered an add event").toBeDefined();
    const mine = toCloudEvent(
      "add",
      { apiVersion: "v1", kind: "Pod", metadata: { name: "via-adapter", namespace: NS } },
      { mode: "Reference", source: plane.server, id: String(add?.headers["ce-id"]) },
    );
    const ceHeaders = (headers: Readonly<Record<string, unknown>>) =>
      Object.fromEntries(
        Object.entries(headers).filter(([name]) => name.startsWith("ce-") && name !== "ce-time"),
      );
    expect(ceHeaders(add?.headers ?? {})).toEqual(ceHeaders(mine.headers));
    expect(String(add?.headers["content-type"]).split(";")[0]).toBe("application/json");
    expect(JSON.parse(add?.body ?? "null")).toEqual(JSON.parse(mine.body));
  });
});
