/**
 * `registrar serve --watch` in cluster-spiffeid mode against the real kube-apiserver (with the project's
 * copies of SCM's CRDs) and spire-server: one process watches the cluster, and its event passes read pods,
 * nodes, namespaces, EndpointSlices and the custom resources from the bridge's watch cache. Entries follow
 * pods created, relabelled and deleted, a Service's pods, a namespace's labels and a new ClusterSPIFFEID.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from "vitest";
import { type Serving, startServing } from "../../bin/serve/start-serving.js";
import type { Entry } from "../../lib/planner/entry.js";
import { createRuntime, type Runtime } from "../../lib/runtime/runtime.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { eventually } from "./support/eventually.js";
import { scmResources } from "./support/scm-parity.js";
import { allEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "serve-scm";
const NS = "apps";
const CRDS = ["clusterspiffeid", "clusterstaticentry", "clusterfederatedtrustdomain"].map(
  (kind) => `knative/base/cluster-spiffeid/${kind}-crd.yaml`,
);
const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

describe.skipIf(skipWithoutPeers(PEERS))("registrar serve --watch in cluster-spiffeid mode", () => {
  let dir: RunDir | undefined;
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let runtime: Runtime | undefined;
  let serving: Serving | undefined;

  const createClusterSpiffeId = (name: string, spec: Record<string, unknown>) => {
    if (!plane) throw new Error("setup failed (see beforeAll)");
    return scmResources(plane.kubeConfig).create("clusterspiffeids", name, spec);
  };

  beforeAll(async () => {
    dir = await makeRunDir("serve-scm", (line) => process.stderr.write(`[e2e] ${line}\n`));
    [plane, spireServer] = await Promise.all([
      startCluster({ nodes: 1, crds: CRDS }),
      startSpireServer({ trustDomain: TD }),
    ]);
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS, { team: "a" });
    await w.runPod(NS, "before-start", { labels: { app: "web" } });
    await createClusterSpiffeId("web", {
      spiffeIDTemplate:
        'spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/app/{{ index .PodMeta.Labels "app" }}/{{ .PodMeta.Name }}',
      namespaceSelector: { matchLabels: { team: "a" } },
      podSelector: { matchExpressions: [{ key: "app", operator: "Exists" }] },
      autoPopulateDNSNames: true,
    });
    const configPath = join(dir.path, "serve.conf");
    await writeFile(
      configPath,
      [
        `mode = "cluster-spiffeid"`,
        `trust_domain = "${TD}"`,
        `cluster = "${CLUSTER}"`,
        `cluster_domain = "cluster.local"`,
        `server_socket_path = "${spireServer.socketPath}"`,
        `log_path = "${join(dir.path, "serve.log")}"`,
        `log_level = "debug"`,
        "",
      ].join("\n"),
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
    if (!plane || !runtime) throw new Error("setup failed (see beforeAll)");
    return { w: workloads(plane.kubeConfig), spire: runtime.spire };
  };

  /** The entries carrying the `k8s:pod-uid` selector of the pod `namespace/name` as it is now. */
  const entriesOfPod = async (namespace: string, name: string): Promise<Entry[]> => {
    const { w, spire } = env();
    const pod = await w.core.readNamespacedPod({ namespace, name });
    const selector = `pod-uid:${pod.metadata?.uid}`;
    return (await allEntries(spire)).filter((entry) =>
      entry.selectors.some((s) => s.type === "k8s" && s.value === selector),
    );
  };

  const agentOf = async (nodeName: string) => {
    const node = await env().w.core.readNode({ name: nodeName });
    return `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${node.metadata?.uid}`;
  };

  it("registers a pod that existed before it started through the start-up resync", async () => {
    const entries = await entriesOfPod(NS, "before-start");
    const pod = await env().w.core.readNamespacedPod({ namespace: NS, name: "before-start" });
    expect(entries).toMatchObject([
      {
        spiffeId: `spiffe://${TD}/ns/${NS}/app/web/before-start`,
        parentId: await agentOf(pod.spec?.nodeName ?? ""),
      },
    ]);
  });

  it("follows a pod created, relabelled, put behind a Service and deleted while it runs", async () => {
    const { w, spire } = env();
    await w.runPod(NS, "live", { labels: { app: "api" } });
    await eventually(async () =>
      expect((await entriesOfPod(NS, "live")).map((e) => e.spiffeId)).toEqual([
        `spiffe://${TD}/ns/${NS}/app/api/live`,
      ]),
    );

    await w.labelPod(NS, "live", { app: "db" });
    await eventually(async () =>
      expect((await entriesOfPod(NS, "live")).map((e) => e.spiffeId)).toEqual([
        `spiffe://${TD}/ns/${NS}/app/db/live`,
      ]),
    );

    await w.createService(NS, "db", { app: "db" });
    await w.serviceTargets(NS, "db", ["live"]);
    await eventually(async () =>
      expect((await entriesOfPod(NS, "live"))[0]?.dnsNames).toEqual([
        "db",
        `db.${NS}`,
        `db.${NS}.svc`,
        `db.${NS}.svc.cluster.local`,
      ]),
    );

    const uid = (await w.core.readNamespacedPod({ namespace: NS, name: "live" })).metadata?.uid;
    await w.deletePod(NS, "live");
    await eventually(async () =>
      expect(
        (await allEntries(spire)).filter((entry) =>
          entry.selectors.some((s) => s.value === `pod-uid:${uid}`),
        ),
      ).toEqual([]),
    );
    // The pod that existed before start is untouched.
    expect(await entriesOfPod(NS, "before-start")).toHaveLength(1);
  });

  it("follows a namespace's labels and a new ClusterSPIFFEID", async () => {
    const { w } = env();
    await w.runPod(NS, "tenant", { labels: { app: "tenant" } });
    await eventually(async () => expect(await entriesOfPod(NS, "tenant")).toHaveLength(1));

    // The namespace leaves the ClusterSPIFFEID's namespaceSelector: its pods' entries go.
    await w.core.patchNamespace({ name: NS, body: { metadata: { labels: { team: "b" } } } }, mergePatch);
    await eventually(async () => {
      expect(await entriesOfPod(NS, "tenant")).toEqual([]);
      expect(await entriesOfPod(NS, "before-start")).toEqual([]);
    });

    // A ClusterSPIFFEID for team b: the pods it selects get entries again, under its template.
    await createClusterSpiffeId("team-b", {
      spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/team-b/{{ .PodMeta.Name }}",
      namespaceSelector: { matchLabels: { team: "b" } },
    });
    await eventually(async () => {
      expect((await entriesOfPod(NS, "tenant")).map((e) => e.spiffeId)).toEqual([
        `spiffe://${TD}/team-b/tenant`,
      ]);
      expect((await entriesOfPod(NS, "before-start")).map((e) => e.spiffeId)).toEqual([
        `spiffe://${TD}/team-b/before-start`,
      ]);
    });
  });
});
