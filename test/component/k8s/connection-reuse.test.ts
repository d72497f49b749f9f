/**
 * The Kubernetes client against a real TLS server (a test CA made with openssl; client certificates
 * required), loaded from a kubeconfig file as in production: API calls share a small keep-alive pool
 * instead of a TLS handshake each, watches have connections of their own, and TLS failures are named
 * as such.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import { createKubeClient, DEFAULT_MAX_SOCKETS, type KubeClient } from "../../../lib/k8s/kube-client.js";
import { loadKubeconfig } from "../../../lib/k8s/kubeconfig.js";
import { createClusterReader } from "../../../lib/k8s/reader.js";
import { createPki, type Pki } from "../../e2e/harness/pki.js";
import { type FakeKubeServer, startFakeKubeServer } from "../../fakes/kube-api-server.js";

describe("Kubernetes client over TLS", () => {
  let dir: string;
  let pki: Pki;
  let api: FakeKubeServer;
  /** A server whose certificate names only `api.test`, not 127.0.0.1. */
  let named: FakeKubeServer;
  const clients: KubeClient[] = [];

  /** Writes a kubeconfig for `server` (paths relative to the file) and returns a client from it. */
  const clientFor = (
    server: FakeKubeServer,
    cluster: Record<string, unknown> = {},
    options: { maxSockets?: number } = {},
  ): KubeClient => {
    const path = join(dir, `kubeconfig-${clients.length}.yaml`);
    const rel = (file: string) => relative(dir, file);
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: fake",
        "  cluster:",
        `    server: ${server.url}`,
        `    certificate-authority: ${rel(pki.ca.certPath)}`,
        ...Object.entries(cluster).map(([key, value]) => `    ${key}: ${value}`),
        "users:",
        "- name: admin",
        "  user:",
        `    client-certificate: ${rel(pki.admin.certPath)}`,
        `    client-key: ${rel(pki.admin.keyPath)}`,
        "contexts:",
        "- name: fake",
        "  context: { cluster: fake, user: admin }",
        "current-context: fake",
        "",
      ].join("\n"),
    );
    const target = loadKubeconfig({ path });
    if (!target.ok) throw new Error(target.error);
    const client = createKubeClient(target.value, options);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "kube-tls-"));
    pki = await createPki(join(dir, "pki"));
    const ca = readFileSync(pki.ca.certPath);
    const serving = await pki.issueServerCert("api", ["127.0.0.1"]);
    const servingNamed = await pki.issueServerCert("api-named", ["api.test"]);
    api = await startFakeKubeServer({
      tls: { ca, cert: readFileSync(serving.certPath), key: readFileSync(serving.keyPath) },
    });
    named = await startFakeKubeServer({
      tls: { ca, cert: readFileSync(servingNamed.certPath), key: readFileSync(servingNamed.keyPath) },
    });
    for (const fake of [api, named]) {
      fake.pods = [{ metadata: { name: "p0", namespace: "ns" }, spec: { nodeName: "n1" } }];
      fake.nodes = [{ metadata: { name: "n1" } }];
    }
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await api?.stop();
    await named?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends 100 sequential reads over at most 2 TLS connections", async () => {
    const reader = createClusterReader(clientFor(api));
    const before = api.connections();
    for (let i = 0; i < 100; i++) {
      const pod = await reader.getPod("ns", "p0");
      expect(pod?.spec?.nodeName).toBe("n1");
    }
    expect(api.connections() - before).toBeGreaterThanOrEqual(1);
    expect(api.connections() - before).toBeLessThanOrEqual(2);
  });

  it("sends 100 concurrent reads over at most maxSockets TLS connections", async () => {
    const reader = createClusterReader(clientFor(api));
    const before = api.connections();
    const reads = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        i % 3 === 0 ? reader.getNode("n1") : i % 3 === 1 ? reader.getPod("ns", "p0") : reader.listPods(),
      ),
    );
    expect(reads.every((read) => read !== undefined)).toBe(true);
    expect(api.connections() - before).toBeLessThanOrEqual(DEFAULT_MAX_SOCKETS);
  });

  it("keeps watches on connections of their own, so reads go on while they are open", async () => {
    // One request socket: if watches took sockets from the request pool, no read could get through.
    const client = clientFor(api, {}, { maxSockets: 1 });
    const reader = createClusterReader(client);
    const before = api.connections();
    const seen: string[] = [];
    const open = await Promise.all(
      ["/api/v1/pods", "/api/v1/nodes"].map((path) =>
        client.watch({
          call: { verb: "watch", resource: path },
          path,
          onEvent: (type, object) =>
            seen.push(`${path} ${type} ${(object as { metadata: { name: string } }).metadata.name}`),
          onDone: () => undefined,
        }),
      ),
    );
    try {
      expect(api.openWatches()).toBe(2);
      const reads = await Promise.all(Array.from({ length: 20 }, () => reader.getPod("ns", "p0")));
      expect(reads.every((pod) => pod?.metadata?.name === "p0")).toBe(true);
      api.sendWatchEvent("ADDED", { metadata: { name: "p1", namespace: "ns" } });
      await expect.poll(() => seen.length).toBe(2);
      expect(seen.sort()).toEqual(["/api/v1/nodes ADDED p1", "/api/v1/pods ADDED p1"]);
      expect(api.connections() - before).toBeLessThanOrEqual(3);
    } finally {
      for (const handle of open) handle.abort();
    }
  });

  it("names a failed verification of the server certificate as a TLS problem", async () => {
    const target = loadKubeconfig({ path: join(dir, "kubeconfig-0.yaml") });
    if (!target.ok) throw new Error(target.error);
    // Without the CA the server's certificate cannot be verified against the system's roots.
    const { ca: _ca, ...withoutCa } = target.value.tls;
    const client = createKubeClient({ ...target.value, tls: withoutCa });
    clients.push(client);
    const error = await createClusterReader(client)
      .getPod("ns", "p0")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect(error).toMatchObject({ kind: "tls", retryable: false });
    expect((error as Error).message).toMatch(
      /^TLS verification of the API server failed: cannot get pods "p0" in namespace "ns": .+; check certificate-authority$/,
    );
  });

  it("verifies the server as tls-server-name when it is set", async () => {
    const withName = createClusterReader(clientFor(named, { "tls-server-name": "api.test" }));
    expect((await withName.getNode("n1"))?.metadata?.name).toBe("n1");
    const error = await createClusterReader(clientFor(named))
      .getNode("n1")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: "tls" });
    expect((error as Error).message).toMatch(
      /^TLS verification of the API server failed: cannot get nodes "n1": .+; check server and tls-server-name$/,
    );
  });
});
