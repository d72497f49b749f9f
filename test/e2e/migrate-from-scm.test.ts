/**
 * The migration from a running spire-controller-manager (v0.6.6) to cluster-spiffeid mode, as
 * docs/cluster-spiffeid.md "Migrating from spire-controller-manager" describes it, on the real kube-apiserver
 * (SCM's own CRDs) and spire-server:
 * - SCM ran with `entryIDPrefix: scm`: with `entry_id_prefix = "scm"` the mode takes its entries over without
 *   writing any, leaves an entry outside the prefix alone, and names the entries it creates `scm.<uuid>`.
 * - SCM ran without a prefix: without one the mode takes its entries over the same way; moving to a prefix at
 *   the same time (`entry_id_prefix_cleanup = ""`), `registrar plan` lists exactly the entries the resync
 *   then deletes (every SPIRE-named entry, a hand-made one included) and recreates under `p.<uuid>`.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEntries } from "../../lib/plan/state-files.js";
import type { Entry } from "../../lib/planner/entry.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type Scm, scmCrdFiles, startSpireControllerManager } from "./harness/scm.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { bundleCli, runCli } from "./support/cli-process.js";
import {
  type ClusterSpiffeIdFunctions,
  startClusterSpiffeIdFunctions,
} from "./support/cluster-spiffeid-functions.js";
import { eventually } from "./support/eventually.js";
import { scmResources } from "./support/scm-parity.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "migrate";
const NS = "apps";
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

const PEERS = [...CLUSTER_PEERS, "spire-server", "spire-controller-manager"] as const;

interface PrintedEntry {
  id?: string;
  spiffeId: string;
  parentId: string;
  selectors: string[];
}
interface PrintedPlan {
  create: PrintedEntry[];
  update: PrintedEntry[];
  delete: (PrintedEntry & { reason: string })[];
  unchanged: number;
}

/** An entry without its ID, as both sides must agree on it. */
function spec(entry: Entry | PrintedEntry): string {
  const selectors = entry.selectors.map((s) => (typeof s === "string" ? s : `${s.type}:${s.value}`));
  return JSON.stringify([entry.spiffeId, entry.parentId, selectors.sort()]);
}

/** The server's entries by ID. */
async function entriesOf(server: SpireServer): Promise<Entry[]> {
  const shown = await server.cli(["entry", "show", "-output", "json"]);
  if (shown.code !== 0) throw new Error(`entry show: ${shown.stderr}`);
  const parsed = parseEntries(shown.stdout, "entry show");
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

async function createHandMadeEntry(server: SpireServer): Promise<void> {
  const created = await server.cli([
    "entry",
    "create",
    "-parentID",
    `spiffe://${TD}/spire/server`,
    "-spiffeID",
    `spiffe://${TD}/hand-made`,
    "-selector",
    "unix:uid:1000",
  ]);
  if (created.code !== 0) throw new Error(`entry create: ${created.stderr}`);
}

describe.skipIf(skipWithoutPeers(PEERS))("migrating from spire-controller-manager", () => {
  let dir: RunDir | undefined;
  let plane: Cluster | undefined;
  let cli = "";
  const stops: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    dir = await makeRunDir("migrate", log);
    [plane, cli] = await Promise.all([
      startCluster({ nodes: 1, crds: await scmCrdFiles() }),
      bundleCli(dir.path),
    ]);
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    await Promise.all(["web-0", "web-1"].map((name) => w.runPod(NS, name, { labels: { app: "web" } })));
    const resources = scmResources(plane.kubeConfig);
    await resources.create("clusterspiffeids", "web", {
      spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/pod/{{ .PodMeta.Name }}",
      podSelector: { matchLabels: { app: "web" } },
      dnsNameTemplates: ["{{ .PodMeta.Name }}.{{ .PodMeta.Namespace }}"],
      ttl: "1h",
    });
    await resources.create("clusterstaticentries", "db", {
      spiffeID: `spiffe://${TD}/db`,
      parentID: `spiffe://${TD}/spire/server`,
      selectors: ["unix:uid:2000"],
    });
  });

  afterAll(async () => {
    for (const stop of stops.reverse()) await stop();
    await plane?.stop();
    await dir?.remove();
  });

  beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs));

  const env = () => {
    if (!dir || !plane) throw new Error("setup failed (see beforeAll)");
    return { dir: dir.path, plane };
  };

  /** A spire-server, stopped after the file. */
  const spireServer = async (): Promise<SpireServer> => {
    const server = await startSpireServer({ trustDomain: TD });
    stops.push(() => server.stop());
    return server;
  };

  /** SCM on `server` until it has written the static entry and an entry for every `app=web` pod; then stopped. */
  const runScmUntilSettled = async (server: SpireServer, config: Record<string, unknown>) => {
    const pods = await env()
      .plane.kubeConfig.makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: NS, labelSelector: "app=web" });
    const expected = [
      `spiffe://${TD}/db`,
      ...pods.items.map((pod) => `spiffe://${TD}/ns/${NS}/pod/${pod.metadata?.name}`),
    ].sort();
    const scm: Scm = await startSpireControllerManager({
      server,
      kubeconfigPath: env().plane.kubeconfigPath,
      clusterName: CLUSTER,
      config,
      log,
    });
    stops.push(() => scm.stop());
    await eventually(
      async () => {
        const ids = (await entriesOf(server)).map((entry) => entry.spiffeId);
        expect(ids.filter((id) => id !== `spiffe://${TD}/hand-made`).sort()).toEqual(expected);
      },
      { timeoutMs: 60_000 },
    );
    await scm.stop();
    return expected.length;
  };

  const functionsOn = async (server: SpireServer, name: string, config: Record<string, unknown>) => {
    const functionsDir = join(env().dir, name);
    await mkdir(functionsDir);
    const functions = await startClusterSpiffeIdFunctions({
      dir: functionsDir,
      kubeconfigPath: env().plane.kubeconfigPath,
      socketPath: server.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      config: { cluster_domain: "cluster.local", ...config },
      bridge: false,
    });
    stops.push(() => functions.stop());
    return functions;
  };

  const plan = async (functions: ClusterSpiffeIdFunctions): Promise<PrintedPlan> => {
    const printed = await runCli(cli, [
      "plan",
      "-config",
      functions.configPath,
      "--kubeconfig",
      env().plane.kubeconfigPath,
      "--output",
      "json",
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    return JSON.parse(printed.stdout) as PrintedPlan;
  };

  it("with SCM's entryIDPrefix: takes SCM's entries over without writing, and creates under the prefix", async () => {
    const server = await spireServer();
    await createHandMadeEntry(server);
    const declared = await runScmUntilSettled(server, { entryIDPrefix: "scm" });
    const written = await entriesOf(server);
    expect(written.filter((entry) => new RegExp(`^scm\\.${UUID}$`).test(entry.id))).toHaveLength(declared);

    const functions = await functionsOn(server, "prefixed", { entry_id_prefix: "scm" });
    const printed = await plan(functions);
    expect(printed).toMatchObject({ create: [], update: [], delete: [], unchanged: declared });
    expect(await functions.resync()).toMatchObject({
      status: "done",
      entriesCreated: 0,
      entriesUpdated: 0,
      entriesDeleted: 0,
      entriesUnchanged: declared,
    });
    expect(await entriesOf(server)).toEqual(written);

    // A pod after the switch: its entry is named under the prefix; the hand-made entry stays.
    await workloads(env().plane.kubeConfig).runPod(NS, "web-2", { labels: { app: "web" } });
    expect(await functions.resync()).toMatchObject({ entriesCreated: 1, entriesDeleted: 0 });
    const after = await entriesOf(server);
    const web2 = after.find((entry) => entry.spiffeId === `spiffe://${TD}/ns/${NS}/pod/web-2`);
    expect(web2?.id).toMatch(new RegExp(`^scm\\.${UUID}$`));
    expect(after.map((entry) => entry.spiffeId)).toContain(`spiffe://${TD}/hand-made`);
  });

  it("without a prefix: takes SCM's entries over; moving to a prefix, the plan lists exactly what the resync replaces", async () => {
    const server = await spireServer();
    const declared = await runScmUntilSettled(server, {});
    const written = await entriesOf(server);
    expect(written).toHaveLength(declared);
    expect(written.every((entry) => new RegExp(`^${UUID}$`).test(entry.id))).toBe(true);

    const unprefixed = await functionsOn(server, "unprefixed", {});
    expect(await plan(unprefixed)).toMatchObject({ create: [], update: [], delete: [], unchanged: declared });

    // An entry made by hand after SCM stopped: SPIRE names it too, so the cleanup of "" also covers it.
    await createHandMadeEntry(server);
    const before = await entriesOf(server);
    const moving = await functionsOn(server, "moving", { entry_id_prefix: "p", entry_id_prefix_cleanup: "" });
    const printed = await plan(moving);
    expect(printed.update).toEqual([]);
    expect(printed.delete.map((entry) => [entry.id, entry.reason]).sort()).toEqual(
      before.map((entry) => [entry.id, "entry_id_prefix_cleanup"]).sort(),
    );
    expect(printed.create.map(spec).sort()).toEqual(written.map(spec).sort());

    expect(await moving.resync()).toMatchObject({
      status: "done",
      entriesCreated: declared,
      entriesDeleted: declared + 1,
      entriesUpdated: 0,
    });
    const after = await entriesOf(server);
    expect(after.map(spec).sort()).toEqual(written.map(spec).sort());
    expect(after.every((entry) => new RegExp(`^p\\.${UUID}$`).test(entry.id))).toBe(true);
    expect(await plan(moving)).toMatchObject({ create: [], update: [], delete: [], unchanged: declared });
  });
});
