/**
 * Webhook mode end to end: `registrar generate-config --webhook-url` makes the certificates, the
 * API server's AdmissionConfiguration and the ValidatingWebhookConfiguration; the real
 * kube-apiserver starts with that configuration and calls the pod-admission function over mutual
 * TLS when pods are created and deleted; entries are read back from the real SPIRE server.
 */
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { AdmissionregistrationV1Api, type V1ValidatingWebhookConfiguration } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { parseAllDocuments } from "yaml";
import { main } from "../../bin/main.js";
import { startPodAdmission } from "../../functions/pod-admission/start.js";
import { createApp as createResyncApp } from "../../functions/resync/app.js";
import type { ServedApp } from "../../lib/http/serve.js";
import { createRuntime, type Runtime, reconcileContext } from "../../lib/runtime/runtime.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePorts } from "./harness/ports.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir } from "./harness/tmp.js";
import { eventually } from "./support/eventually.js";
import { allEntries, podEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "wh";
const ALIAS = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
const NS = "webhook-e2e";

async function generateConfig(url: string, outDir: string): Promise<{ stdout: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(
    [
      "generate-config",
      "--webhook-url",
      url,
      "--failure-policy",
      "Fail",
      "--timeout-seconds",
      "10",
      "--out-dir",
      outDir,
    ],
    {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: {},
    },
  );
  if (code !== 0) throw new Error(`generate-config failed (${code}): ${stderr}`);
  return { stdout };
}

/** A TLS client without a certificate: the handshake must fail before any HTTP exchange. */
function callWithoutClientCert(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path: "/validate",
        method: "POST",
        ca,
        agent: false,
        headers: { "content-type": "application/json" },
      },
      (res) => resolve(`HTTP ${res.statusCode}`),
    );
    req.on("error", (error) => resolve(`error: ${(error as NodeJS.ErrnoException).code ?? error.message}`));
    req.end("{}");
  });
}

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("webhook mode end to end", () => {
  let dir = "";
  let removeDir: () => Promise<void> = async () => undefined;
  let port = 0;
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let runtime: Runtime | undefined;
  let served: ServedApp[] = [];

  const env = () => {
    if (!plane || !spireServer || !runtime) throw new Error("peers did not start (see beforeAll)");
    return { plane, spireServer, runtime, w: workloads(plane.kubeConfig) };
  };

  /** Starts pod-admission (and nothing else) from a webhook-mode config with `extra` keys. */
  const startFunction = async (extra: Record<string, unknown> = {}) => {
    if (!spireServer) throw new Error("no SPIRE server");
    await Promise.all(served.map((s) => s.close()));
    runtime?.close();
    const configPath = join(dir, `webhook-${Object.keys(extra).join("-") || "default"}.conf.json`);
    await writeFile(
      configPath,
      JSON.stringify({
        mode: "webhook",
        log_level: "debug",
        log_path: join(dir, "pod-admission.log"),
        trust_domain: TD,
        cluster: CLUSTER,
        server_socket_path: spireServer?.socketPath,
        addr: `127.0.0.1:${port}`,
        cert_path: join(dir, "out", "cert.pem"),
        key_path: join(dir, "out", "key.pem"),
        cacert_path: join(dir, "out", "cacert.pem"),
        ...extra,
      }),
    );
    runtime = await createRuntime({
      functionName: "pod-admission",
      configPath,
      env: {},
      kubeconfigPath: plane?.kubeconfigPath,
    });
    served = await startPodAdmission(runtime);
  };

  beforeAll(async () => {
    const temp = await makeRunDir("webhook", (line) => process.stderr.write(`[e2e] ${line}\n`));
    dir = temp.path;
    removeDir = temp.remove;
    [port] = (await freePorts(1)) as [number];
    const generated = await generateConfig(`https://127.0.0.1:${port}/validate`, join(dir, "out"));
    plane = await startCluster({
      nodes: 1,
      admissionConfig: { file: join(dir, "out", "admission-configuration.yaml") },
    });
    spireServer = await startSpireServer({ trustDomain: TD });
    await startFunction();

    const documents = parseAllDocuments(generated.stdout);
    if (!Array.isArray(documents)) throw new Error("generate-config printed one document");
    const webhookConfiguration = documents
      .map((document) => document.toJS())
      .find(
        (document) => document.kind === "ValidatingWebhookConfiguration",
      ) as V1ValidatingWebhookConfiguration;
    await plane.kubeConfig
      .makeApiClient(AdmissionregistrationV1Api)
      .createValidatingWebhookConfiguration({ body: webhookConfiguration });
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    await w.createServiceAccount(NS, "web");
  });

  afterAll(async () => {
    await Promise.all(served.map((s) => s.close()));
    runtime?.close();
    await spireServer?.stop();
    await plane?.stop();
    await removeDir();
  });

  beforeEach(() => onTestFailed(printPeerLogs));

  it("creates the cluster node alias entry at start", async () => {
    const { runtime } = env();
    const entries = await allEntries(runtime.spire);
    expect(entries.filter((e) => e.spiffeId === ALIAS)).toMatchObject([
      {
        parentId: `spiffe://${TD}/spire/server`,
        selectors: [{ type: "k8s_psat", value: `cluster:${CLUSTER}` }],
      },
    ]);
  });

  it("registers a pod the API server admits through the webhook, and removes it when the pod is deleted", async () => {
    const { runtime, w } = env();
    await w.runPod(NS, "web-1", { serviceAccount: "web" });
    const entries = await podEntries(runtime.spire, NS, "web-1");
    expect(entries).toMatchObject([{ spiffeId: `spiffe://${TD}/ns/${NS}/sa/web`, parentId: ALIAS }]);
    await w.deletePod(NS, "web-1");
    expect(await podEntries(runtime.spire, NS, "web-1")).toEqual([]);
  });

  it("refuses a client without a certificate during the TLS handshake", async () => {
    const ca = await readFile(join(dir, "out", "cacert.pem"));
    expect(await callWithoutClientCert(port, ca)).toMatch(/^error: /);
  });

  it("admits pods while SPIRE is down, and the next resync creates their entries", async () => {
    const { runtime, spireServer, w } = env();
    await spireServer.halt();
    try {
      const pod = await w.runPod(NS, "during-outage");
      expect(pod.metadata?.name).toBe("during-outage");
    } finally {
      await spireServer.resume();
    }
    expect(await podEntries(runtime.spire, NS, "during-outage")).toEqual([]);
    const resync = createResyncApp({
      reconcile: reconcileContext(runtime),
      logger: pino({ level: "silent" }),
      readiness: async () => ({ ready: true }),
      now: Date.now,
    });
    const response = await resync.request("/", { method: "POST" });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: "done", created: 1, failed: 0 });
    await eventually(async () => {
      expect(await podEntries(runtime.spire, NS, "during-outage")).toMatchObject([{ parentId: ALIAS }]);
    });
  });

  it("gives a label-mode pod without the label no entry", async () => {
    const { w } = env();
    await startFunction({ pod_label: "spiffe-id" });
    const { runtime } = env();
    await w.runPod(NS, "unlabelled");
    await w.runPod(NS, "labelled", { labels: { "spiffe-id": "billing" } });
    await eventually(async () => {
      expect(await podEntries(runtime.spire, NS, "labelled")).toMatchObject([
        { spiffeId: `spiffe://${TD}/billing` },
      ]);
    });
    expect(await podEntries(runtime.spire, NS, "unlabelled")).toEqual([]);
  });
});
