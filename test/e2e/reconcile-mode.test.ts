/**
 * Reconcile mode end to end: the k8s-events and resync functions run in-process with their real
 * dependencies (kube-apiserver over the admin kubeconfig, spire-server over its admin socket), and
 * the event bridge delivers ApiServerSource-format events from real watches. Every assertion reads
 * SPIRE through its API, polling until the state is reached.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CoordinationV1Api } from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main as registrar } from "../../bin/main.js";
import { type Bridge, startBridge } from "../../lib/bridge/bridge.js";
import type { Delivery } from "../../lib/bridge/sink.js";
import type { PrintedEntry } from "../../lib/plan/format-plan.js";
import type { SpireClient } from "../../lib/spire/client.js";
import { CLUSTER_PEERS, type Cluster, kwokNode, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { writeClusterState } from "./support/cluster-state.js";
import { eventually } from "./support/eventually.js";
import { e2eOutputDir } from "./support/output-dir.js";
import { type ReconcileFunctions, startReconcileFunctions } from "./support/reconcile-functions.js";
import { allEntries, isUnder, podEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "e2e";
const rootOf = (cluster: string) => `spiffe://${TD}/spire-k8s-registrar/${cluster}/node`;
const ROOT = rootOf(CLUSTER);
const LEASE_NAMESPACE = "default";
const logger = pino({ level: "silent" });

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("reconcile mode end to end", () => {
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let fns: ReconcileFunctions | undefined;
  let bridge: Bridge | undefined;
  let dir = "";
  /** Everything any bridge of the main instance delivered, for the replay test. */
  const deliveredEarlier: Delivery[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  const env = () => {
    if (!plane || !spireServer || !fns) throw new Error("peers did not start (see beforeAll)");
    const [n1 = ""] = plane.nodeNames;
    return { plane, spireServer, fns, spire: fns.spire, w: workloads(plane.kubeConfig), n1 };
  };

  const startMainBridge = async () => {
    const { plane, fns } = env();
    bridge = await startBridge({
      client: plane.kube,
      resources: ["pods", "nodes", "endpointslices"],
      sink: fns.eventsUrl,
      logger,
    });
  };

  const functionsFor = (name: string, cluster: string, config: Record<string, unknown> = {}) => {
    if (!plane || !spireServer) throw new Error("peers did not start (see beforeAll)");
    return startReconcileFunctions({
      dir,
      name,
      kubeconfigPath: plane.kubeconfigPath,
      socketPath: spireServer.socketPath,
      trustDomain: TD,
      cluster,
      config,
    });
  };

  /** The entries of a pod that the instance of `cluster` owns. */
  const ownedPodEntries = async (spire: SpireClient, ns: string, name: string, cluster = CLUSTER) =>
    (await podEntries(spire, ns, name)).filter((e) => isUnder(e.parentId, rootOf(cluster)));

  beforeAll(async () => {
    dir = await mkdtemp("/tmp/e2e-reconcile-");
    [plane, spireServer] = await Promise.all([
      startCluster({ nodes: 2 }),
      startSpireServer({ trustDomain: TD }),
    ]);
    fns = await functionsFor("main", CLUSTER, {
      leader_election: true,
      leader_election_namespace: LEASE_NAMESPACE,
    });
    const w = workloads(plane.kubeConfig);
    for (const ns of ["e2e-sa", "e2e-del", "e2e-sts", "e2e-modes", "e2e-foreign", "e2e-down"]) {
      await w.createNamespace(ns);
    }
    for (const [ns, sa] of [
      ["e2e-sa", "web"],
      ["e2e-del", "gone"],
      ["e2e-sts", "db"],
      ["e2e-sts", "db-v2"],
      ["e2e-foreign", "fw"],
      ["e2e-down", "d"],
    ] as const) {
      await w.createServiceAccount(ns, sa);
    }
    await startMainBridge();
    // The event sources send nothing for what exists when they start (the nodes): the first
    // resync covers it, as in a new deployment.
    expect((await fetch(fns.resyncUrl, { method: "POST" })).status).toBe(200);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
    onTestFailed(() => {
      process.stderr.write(`[e2e] functions' config and logs are in ${dir}\n`);
    });
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await bridge?.stop();
    await fns?.stop();
    await spireServer?.stop();
    await plane?.stop();
    if (dir && process.env.E2E_KEEP !== "1") await rm(dir, { recursive: true, force: true });
  });

  it("creates a node entry for a node that registers", async () => {
    const { w, spire } = env();
    await w.core.createNode({ body: kwokNode("n-joined") });
    const entry = await eventually(async () => {
      const found = (await allEntries(spire)).find((e) => e.spiffeId === `${ROOT}/n-joined`);
      if (!found) throw new Error("no node entry yet");
      return found;
    });
    expect(entry.parentId).toBe(`spiffe://${TD}/spire/server`);
    expect(entry.selectors).toEqual(
      expect.arrayContaining([
        { type: "k8s_psat", value: "agent_node_name:n-joined" },
        { type: "k8s_psat", value: `cluster:${CLUSTER}` },
      ]),
    );
    expect(entry.selectors).toHaveLength(2);
    await w.deleteNode("n-joined");
  });

  it("creates a pod entry with the service-account ID, then adds DNS names from the pod IP and EndpointSlices", async () => {
    const { w, spire } = env();
    const pod = await w.runPod("e2e-sa", "web-0", { serviceAccount: "web", labels: { app: "web" } });
    const ip = (pod.status?.podIP ?? "").replaceAll(".", "-");
    const entry = await eventually(async () => {
      const [found, ...more] = await ownedPodEntries(spire, "e2e-sa", "web-0");
      if (!found || more.length > 0) throw new Error("want exactly one entry");
      expect(found.dnsNames).toEqual([`${ip}.e2e-sa.pod.cluster.local`, `${ip}.e2e-sa.pod`]);
      return found;
    });
    expect(entry.spiffeId).toBe(`spiffe://${TD}/ns/e2e-sa/sa/web`);
    expect(entry.parentId).toBe(`${ROOT}/${pod.spec?.nodeName}`);

    await w.createService("e2e-sa", "websvc", { app: "web" });
    await w.serviceTargets("e2e-sa", "websvc", ["web-0"]);
    const searchPath = (prefix: string) => [
      `${prefix}.e2e-sa.svc.cluster.local`,
      `${prefix}.e2e-sa.svc`,
      `${prefix}.e2e-sa`,
      prefix,
    ];
    const serviceNames = [
      ...searchPath(`${ip}.websvc`),
      ...searchPath("websvc"),
      ...searchPath("web-0.websvc"),
    ].sort();
    await eventually(async () => {
      const [found] = await ownedPodEntries(spire, "e2e-sa", "web-0");
      expect(found?.dnsNames).toEqual([
        `${ip}.e2e-sa.pod.cluster.local`,
        `${ip}.e2e-sa.pod`,
        ...serviceNames,
      ]);
    });
  });

  it("removes the entry of a deleted pod", async () => {
    const { w, spire } = env();
    await w.runPod("e2e-del", "gone-1", { serviceAccount: "gone" });
    await eventually(async () => expect(await ownedPodEntries(spire, "e2e-del", "gone-1")).toHaveLength(1));
    await w.deletePod("e2e-del", "gone-1");
    await eventually(async () => expect(await podEntries(spire, "e2e-del", "gone-1")).toEqual([]));
  });

  it("removes the entry of a deleted node", async () => {
    const { w, spire } = env();
    await w.core.createNode({ body: kwokNode("n-temp") });
    const nodeEntry = async () => (await allEntries(spire)).filter((e) => e.spiffeId === `${ROOT}/n-temp`);
    await eventually(async () => expect(await nodeEntry()).toHaveLength(1));
    await w.deleteNode("n-temp");
    await eventually(async () => expect(await nodeEntry()).toEqual([]));
  });

  it("ends with exactly one entry, for the new pod, when a pod is deleted and recreated with the same name", async () => {
    const { w, spire } = env();
    await w.runPod("e2e-sts", "db-0", { serviceAccount: "db" });
    await eventually(async () => expect(await ownedPodEntries(spire, "e2e-sts", "db-0")).toHaveLength(1));
    await w.deletePod("e2e-sts", "db-0");
    const again = await w.runPod("e2e-sts", "db-0", { serviceAccount: "db-v2" });
    await eventually(async () => {
      const entries = await podEntries(spire, "e2e-sts", "db-0");
      expect(entries.map((e) => [e.spiffeId, e.parentId])).toEqual([
        [`spiffe://${TD}/ns/e2e-sts/sa/db-v2`, `${ROOT}/${again.spec?.nodeName}`],
      ]);
    });
  });

  it("derives IDs from a label or an annotation in those modes", async () => {
    const { plane, w } = env();
    const byLabel = await functionsFor("label", "e2e-label", { pod_label: "spiffe.io/spiffe-id" });
    cleanups.push(() => byLabel.stop());
    const byAnnotation = await functionsFor("annotation", "e2e-annot", {
      pod_annotation: "spiffe.io/spiffe-id",
    });
    cleanups.push(() => byAnnotation.stop());
    for (const instance of [byLabel, byAnnotation]) {
      const extra = await startBridge({
        client: plane.kube,
        resources: ["pods", "nodes"],
        sink: instance.eventsUrl,
        logger,
      });
      cleanups.push(() => extra.stop());
    }
    const labelled = await w.runPod("e2e-modes", "labelled", {
      labels: { "spiffe.io/spiffe-id": "team-a.web" },
    });
    const annotated = await w.runPod("e2e-modes", "annotated", {
      annotations: { "spiffe.io/spiffe-id": "team-b/api" },
    });
    await eventually(async () => {
      const [entry] = await ownedPodEntries(byLabel.spire, "e2e-modes", "labelled", "e2e-label");
      expect([entry?.spiffeId, entry?.parentId]).toEqual([
        `spiffe://${TD}/team-a.web`,
        `${rootOf("e2e-label")}/${labelled.spec?.nodeName}`,
      ]);
    });
    await eventually(async () => {
      const [entry] = await ownedPodEntries(byAnnotation.spire, "e2e-modes", "annotated", "e2e-annot");
      expect([entry?.spiffeId, entry?.parentId]).toEqual([
        `spiffe://${TD}/team-b/api`,
        `${rootOf("e2e-annot")}/${annotated.spec?.nodeName}`,
      ]);
    });
    // After a resync each instance's state is final: a pod without the key gets no entry in that mode.
    for (const instance of [byLabel, byAnnotation]) {
      expect((await fetch(instance.resyncUrl, { method: "POST" })).status).toBe(200);
    }
    expect(await ownedPodEntries(byLabel.spire, "e2e-modes", "annotated", "e2e-label")).toEqual([]);
    expect(await ownedPodEntries(byAnnotation.spire, "e2e-modes", "labelled", "e2e-annot")).toEqual([]);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("never touches an entry it does not own, by events or by resync", async () => {
    const { w, spire, spireServer, fns } = env();
    const created = await spireServer.cli([
      "entry",
      "create",
      "-parentID",
      `spiffe://${TD}/spire-k8s-registrar/${CLUSTER}/node-extra/n1`,
      "-spiffeID",
      `spiffe://${TD}/foreign/fw`,
      "-selector",
      "k8s:ns:e2e-foreign",
      "-selector",
      "k8s:pod-name:fw-1",
    ]);
    expect(created.code, created.stderr).toBe(0);
    const foreign = async () =>
      (await allEntries(spire)).filter((e) => e.spiffeId === `spiffe://${TD}/foreign/fw`);
    const [before] = await foreign();
    expect(before).toBeDefined();

    await w.runPod("e2e-foreign", "fw-1", { serviceAccount: "fw" });
    await eventually(async () => expect(await ownedPodEntries(spire, "e2e-foreign", "fw-1")).toHaveLength(1));
    expect(await foreign()).toEqual([before]);

    await w.deletePod("e2e-foreign", "fw-1");
    await eventually(async () => expect(await ownedPodEntries(spire, "e2e-foreign", "fw-1")).toEqual([]));
    expect(await foreign()).toEqual([before]);

    const resync = await fetch(fns.resyncUrl, { method: "POST" });
    expect(resync.status).toBe(200);
    expect(await foreign()).toEqual([before]);
  });

  it("writes the cluster's pods, nodes and EndpointSlices as a v1 List for `registrar plan`", async () => {
    const { plane, n1 } = env();
    const path = join(await e2eOutputDir(), "reconcile-cluster-state.json");
    const count = await writeClusterState(plane.kube, path);
    const list = JSON.parse(await readFile(path, "utf8"));
    expect(list).toMatchObject({ apiVersion: "v1", kind: "List" });
    expect(list.items).toHaveLength(count);
    const names = list.items.map(
      (item: { kind: string; metadata: { name: string } }) => `${item.kind}/${item.metadata.name}`,
    );
    expect(names).toEqual(expect.arrayContaining(["Pod/web-0", `Node/${n1}`]));
    expect(names.filter((name: string) => name.startsWith("EndpointSlice/websvc-"))).toHaveLength(1);
    for (const item of list.items) {
      expect(item.apiVersion).toBe(item.kind === "EndpointSlice" ? "discovery.k8s.io/v1" : "v1");
    }

    // `registrar plan` on that state file gives exactly the entries the functions wrote to SPIRE:
    // against no entries everything is a create, against the live server nothing is to do.
    const { fns, spire } = env();
    const plan = async (...extra: string[]) => {
      let stdout = "";
      let stderr = "";
      const io = {
        stdout: { write: (t: string) => (stdout += t) },
        stderr: { write: (t: string) => (stderr += t) },
        env: {},
      };
      const code = await registrar(
        ["plan", "-config", fns.configPath, "--cluster-state", path, "--output", "json", ...extra],
        io,
      );
      if (code !== 0) throw new Error(`registrar plan exited ${code}: ${stderr}`);
      return JSON.parse(stdout) as {
        create: PrintedEntry[];
        update: PrintedEntry[];
        delete: PrintedEntry[];
      };
    };
    const noEntries = join(dir, "no-entries.json");
    await writeFile(noEntries, JSON.stringify({ entries: [] }));
    const fromScratch = await plan("--entries", noEntries);
    const owned = (await allEntries(spire)).filter(
      (e) => isUnder(e.parentId, ROOT) || isUnder(e.spiffeId, ROOT),
    );
    const shape = (
      e: { spiffeId: string; parentId: string; dnsNames: readonly string[] },
      selectors: readonly string[],
    ) => `${e.spiffeId} ${e.parentId} ${[...selectors].sort().join(",")} ${e.dnsNames.join(",")}`;
    expect(fromScratch.create.map((e) => shape(e, e.selectors)).sort()).toEqual(
      owned
        .map((e) =>
          shape(
            e,
            e.selectors.map((s) => `${s.type}:${s.value}`),
          ),
        )
        .sort(),
    );
    await eventually(async () => expect(await plan()).toEqual({ create: [], update: [], delete: [] }));
  });

  it("runs one resync at a time across instances with leader_election (a real Lease), and releases the Lease", async () => {
    const { plane } = env();
    let holdRelease: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      holdRelease = resolve;
    });
    let reachedSpire: () => void = () => undefined;
    const insideResync = new Promise<void>((resolve) => {
      reachedSpire = resolve;
    });
    const leaseConfig = { leader_election: true, leader_election_namespace: LEASE_NAMESPACE };
    // The first instance stops inside its resync (at its SPIRE list) until the test lets it go.
    const first = await startReconcileFunctions({
      dir,
      name: "lease-a",
      kubeconfigPath: plane.kubeconfigPath,
      socketPath: env().spireServer.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      config: leaseConfig,
      wrapSpire: (spire) => ({
        ...spire,
        listEntries: async (filter) => {
          reachedSpire();
          await held;
          return spire.listEntries(filter);
        },
      }),
    });
    cleanups.push(() => first.stop());
    const second = await functionsFor("lease-b", CLUSTER, leaseConfig);
    cleanups.push(() => second.stop());

    const running = fetch(first.resyncUrl, { method: "POST" });
    await insideResync;
    const skipped = await fetch(second.resyncUrl, { method: "POST" });
    expect(skipped.status).toBe(202);
    expect(await skipped.json()).toMatchObject({ status: "skipped" });
    holdRelease();
    const done = await running;
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ status: "done" });

    const lease = await plane.kubeConfig
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ namespace: LEASE_NAMESPACE, name: "spire-k8s-registrar-leader-election" });
    expect(lease.spec?.holderIdentity ?? "").toBe("");
    // Released, so the other instance runs now.
    expect((await fetch(second.resyncUrl, { method: "POST" })).status).toBe(200);
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it("removes, by resync, the entries of pods deleted while the functions were down", async () => {
    const { w, spire, fns } = env();
    await w.runPod("e2e-down", "down-1", { serviceAccount: "d" });
    await w.runPod("e2e-down", "down-2", { serviceAccount: "d" });
    for (const name of ["down-1", "down-2"]) {
      await eventually(async () => expect(await ownedPodEntries(spire, "e2e-down", name)).toHaveLength(1));
    }
    await bridge?.stop();
    deliveredEarlier.push(...(bridge?.delivered ?? []));
    bridge = undefined;
    await w.deletePod("e2e-down", "down-1");
    await w.deletePod("e2e-down", "down-2");
    // Nothing listened, so the entries are still there.
    expect(await ownedPodEntries(spire, "e2e-down", "down-1")).toHaveLength(1);

    const resync = await fetch(fns.resyncUrl, { method: "POST" });
    expect(resync.status).toBe(200);
    expect(((await resync.json()) as { deleted: number }).deleted).toBeGreaterThanOrEqual(2);
    expect(await podEntries(spire, "e2e-down", "down-1")).toEqual([]);
    expect(await podEntries(spire, "e2e-down", "down-2")).toEqual([]);
    await startMainBridge();
  });

  it("changes nothing when every delivered event is replayed in reverse order", async () => {
    const { spire, fns } = env();
    await bridge?.idle();
    const events = [...deliveredEarlier, ...(bridge?.delivered ?? [])]
      .filter((d) => d.ok)
      .map((d) => d.event);
    expect(events.length).toBeGreaterThan(10);
    const kinds = new Set(events.map((e) => e.headers["ce-type"]));
    expect(kinds).toEqual(
      new Set([
        "dev.knative.apiserver.ref.add",
        "dev.knative.apiserver.ref.update",
        "dev.knative.apiserver.ref.delete",
      ]),
    );
    const before = await allEntries(spire);
    for (const event of [...events].reverse()) {
      const response = await fetch(fns.eventsUrl, {
        method: "POST",
        headers: event.headers,
        body: event.body,
      });
      expect(response.status, await response.text()).toBe(204);
    }
    expect(await allEntries(spire)).toEqual(before);
  });
});
