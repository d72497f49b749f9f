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
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { eventually } from "./support/eventually.js";
import { kubeObjects } from "./support/kube-objects.js";
import { allEntries, podEntries } from "./support/spire-entries.js";

const TD = "example.org";
const ROOT = `spiffe://${TD}/spire-k8s-registrar/serve/node`;

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver", "spire-server"]))(
  "registrar serve --watch",
  () => {
    let dir: RunDir | undefined;
    let plane: ControlPlane | undefined;
    let spireServer: SpireServer | undefined;
    let runtime: Runtime | undefined;
    let serving: Serving | undefined;

    beforeAll(async () => {
      dir = await makeRunDir("serve", (line) => process.stderr.write(`[e2e] ${line}\n`));
      plane = await startControlPlane();
      spireServer = await startSpireServer({ trustDomain: TD });
      const k = kubeObjects(plane.kubeConfig);
      await k.createNamespace("apps");
      await k.createNode("n1");
      await k.createPod({ namespace: "apps", name: "before-start", node: "n1" });
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
      return { k: kubeObjects(plane.kubeConfig), spire: runtime.spire, serving };
    };

    it("registers what existed before it started through the start-up resync", async () => {
      const { spire } = env();
      expect(await podEntries(spire, "apps", "before-start")).toMatchObject([{ parentId: `${ROOT}/n1` }]);
      expect((await allEntries(spire)).map((e) => e.spiffeId)).toContain(`${ROOT}/n1`);
    });

    it("follows pods created and deleted while it runs, and counts the events", async () => {
      const { k, spire, serving } = env();
      await k.createPod({ namespace: "apps", name: "live", node: "n1", serviceAccount: "api" });
      await eventually(async () => {
        expect(await podEntries(spire, "apps", "live")).toMatchObject([
          { spiffeId: `spiffe://${TD}/ns/apps/sa/api` },
        ]);
      });
      await k.deletePod("apps", "live");
      await eventually(async () => expect(await podEntries(spire, "apps", "live")).toEqual([]));
      const metrics = await (await fetch(`${serving.url}/metrics`)).text();
      expect(metrics).toMatch(
        /registrar_events_total\{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"\} \d+/,
      );
      expect(metrics).toContain("registrar_last_successful_resync_timestamp_seconds");
      expect((await fetch(`${serving.url}/readyz`)).status).toBe(200);
    });
  },
);
