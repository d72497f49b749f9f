/**
 * `registrar serve --watch` end to end: one process runs the reconcile-mode functions, watches the
 * real API server and resyncs on a timer; entries appear in the real SPIRE server for objects that
 * existed before it started (start-up resync) and for changes made while it runs (watch events).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { type Serving, startServing } from "../../bin/serve/start-serving.js";
import { createRuntime, type Runtime } from "../../lib/runtime/runtime.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { eventually } from "./support/eventually.js";
import { allEntries, podEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/serve/node`;

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("registrar serve --watch", () => {
  let dir: RunDir | undefined;
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let runtime: Runtime | undefined;
  let serving: Serving | undefined;

  beforeAll(async () => {
    dir = await makeRunDir("serve", (line) => process.stderr.write(`[e2e] ${line}\n`));
    plane = await startCluster({ nodes: 1 });
    spireServer = await startSpireServer({ trustDomain: TD });
    const w = workloads(plane.kubeConfig);
    await w.createNamespace("apps");
    await w.runPod("apps", "before-start");
    const configPath = join(dir.path, "serve.conf");
    await writeFile(
      configPath,
      `mode = "reconcile"\ntrust_domain = "${TD}"\ncluster = "serve"\nserver_socket_path = "${spireServer.socketPath}"\nlog_path = "${join(dir.path, "serve.log")}"\nlog_level = "debug"\n`,
    );
    runtime = await createRuntime({
      functionName: "serve",
      configPath,
      runsResync: true,
      env: {},
      kubeconfigPath: plane.kubeconfigPath,
    });
    serving = await startServing({
      runtime,
      env: {},
      listen: { hostname: "127.0.0.1", port: 0 },
      watch: true,
      resyncIntervalMs: 0,
    });
  });

  afterAll(async () => {
    await serving?.stop();
    runtime?.close();
    await spireServer?.stop();
    await plane?.stop();
    await dir?.remove();
  });

  beforeEach(() => onTestFailed(printPeerLogs));

  const env = () => {
    if (!plane || !runtime || !serving) throw new Error("setup failed (see beforeAll)");
    return { w: workloads(plane.kubeConfig), node: plane.nodeNames[0], spire: runtime.spire, serving };
  };

  it("registers what existed before it started through the start-up resync", async () => {
    const { spire, node } = env();
    expect(await podEntries(spire, "apps", "before-start")).toMatchObject([{ parentId: `${ROOT}/${node}` }]);
    expect((await allEntries(spire)).map((e) => e.spiffeId)).toContain(`${ROOT}/${node}`);
  });

  it("follows pods created and deleted while it runs, and counts the events", async () => {
    const { w, spire, serving } = env();
    await w.createServiceAccount("apps", "api");
    await w.runPod("apps", "live", { serviceAccount: "api" });
    await eventually(async () => {
      expect(await podEntries(spire, "apps", "live")).toMatchObject([
        { spiffeId: `spiffe://${TD}/ns/apps/sa/api` },
      ]);
    });
    await w.deletePod("apps", "live");
    await eventually(async () => expect(await podEntries(spire, "apps", "live")).toEqual([]));
    const metrics = await (await fetch(`${serving.url}/metrics`)).text();
    expect(metrics).toMatch(
      /registrar_events_total\{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"\} \d+/,
    );
    expect(metrics).toContain("registrar_last_successful_resync_timestamp_seconds");
    expect((await fetch(`${serving.url}/readyz`)).status).toBe(200);
  });
});
