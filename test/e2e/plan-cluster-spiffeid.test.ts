/**
 * `registrar plan` in cluster-spiffeid mode against the real kube-apiserver (with the project's copies of
 * SCM's CRDs) and spire-server, run as its own process: what it prints live is what the resync function then
 * writes (entries, federation relationships, counts, statuses), and a plan after the resync has nothing left
 * to do. SPIRE starts with entries of every ownership (outdated and stale ones under `entry_id_prefix`, one
 * under `entry_id_prefix_cleanup`, a hand-made one outside both) and a relationship no CR declares. What
 * `spire-server entry show` and `federation list` print, given as `--entries` and `--federation`, plans the
 * same.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEntries, parseFederationRelationships } from "../../lib/plan/state-files.js";
import type { Entry } from "../../lib/planner/entry.js";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { bundleCli, runCli } from "./support/cli-process.js";
import {
  type ClusterSpiffeIdFunctions,
  startClusterSpiffeIdFunctions,
} from "./support/cluster-spiffeid-functions.js";
import { comparableEntry } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "plan-scm";
const NS = "apps";
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);
const CRDS = ["clusterspiffeid", "clusterstaticentry", "clusterfederatedtrustdomain"].map(
  (kind) => `knative/base/cluster-spiffeid/${kind}-crd.yaml`,
);

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

interface PrintedEntry {
  id?: string;
  spiffeId: string;
  parentId: string;
  selectors: string[];
  dnsNames: string[];
  federatesWith: string[];
  admin: boolean;
  downstream: boolean;
  x509SvidTtl: number;
  jwtSvidTtl: number;
  hint: string;
}
interface PrintedPlan {
  create: PrintedEntry[];
  update: (PrintedEntry & { outdated: { field: string }[] })[];
  delete: (PrintedEntry & { reason: string })[];
  unchanged: number;
  ownership: Record<string, unknown>;
  federation: Record<string, unknown> | null;
  statuses: { kind: string; name: string; status: Record<string, unknown>; changed: boolean }[];
}

/** An entry as the plan prints it and SPIRE holds it; new IDs under the prefix compare as `reg.<uuid>`. */
const comparable = (entry: PrintedEntry | Entry) => comparableEntry(entry, "reg");

describe.skipIf(skipWithoutPeers(PEERS))("registrar plan in cluster-spiffeid mode, live", () => {
  let dir: RunDir | undefined;
  let plane: Cluster | undefined;
  let server: SpireServer | undefined;
  let functions: ClusterSpiffeIdFunctions | undefined;
  let cli = "";

  beforeAll(async () => {
    dir = await makeRunDir("plan-scm", log);
    [plane, server, cli] = await Promise.all([
      startCluster({ nodes: 1, crds: CRDS }),
      startSpireServer({ trustDomain: TD }),
      bundleCli(dir.path),
    ]);
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    const [web0] = await Promise.all([
      w.runPod(NS, "web-0", { labels: { app: "web" } }),
      w.runPod(NS, "web-1", { labels: { app: "web" } }),
    ]);
    await w.createService(NS, "web", { app: "web" });
    await w.serviceTargets(NS, "web", ["web-0", "web-1"]);
    const node = await plane.kubeConfig
      .makeApiClient(CoreV1Api)
      .readNode({ name: web0?.spec?.nodeName ?? "" });
    const crs = plane.kubeConfig.makeApiClient(CustomObjectsApi);
    const create = (plural: string, kind: string, name: string, spec: object) =>
      crs.createClusterCustomObject({
        group: "spire.spiffe.io",
        version: "v1alpha1",
        plural,
        body: { apiVersion: "spire.spiffe.io/v1alpha1", kind, metadata: { name }, spec },
      });
    await create("clusterspiffeids", "ClusterSPIFFEID", "web", {
      spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/pod/{{ .PodMeta.Name }}",
      podSelector: { matchLabels: { app: "web" } },
      ttl: "1h",
      autoPopulateDNSNames: true,
    });
    await create("clusterstaticentries", "ClusterStaticEntry", "db", {
      spiffeID: `spiffe://${TD}/db`,
      parentID: `spiffe://${TD}/spire/server`,
      selectors: ["unix:uid:1000"],
    });
    await create("clusterfederatedtrustdomains", "ClusterFederatedTrustDomain", "a", {
      trustDomain: "a.test",
      bundleEndpointURL: "https://a.test/bundle",
      bundleEndpointProfile: { type: "https_web" },
    });

    const spire = server;
    const entryCreate = async (args: string[]) => {
      const created = await spire.cli(["entry", "create", ...args]);
      if (created.code !== 0) throw new Error(`entry create ${args.join(" ")}: ${created.stderr}`);
    };
    await Promise.all([
      // web-0's entry, outdated (TTL, DNS names); a pod long gone; an entry of an older prefix; a hand-made one.
      entryCreate([
        "-entryID",
        "reg.web-0",
        "-parentID",
        `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${node.metadata?.uid}`,
        "-spiffeID",
        `spiffe://${TD}/ns/${NS}/pod/web-0`,
        "-selector",
        `k8s:pod-uid:${web0?.metadata?.uid}`,
        "-x509SVIDTTL",
        "600",
      ]),
      entryCreate([
        "-entryID",
        "reg.gone",
        "-parentID",
        `spiffe://${TD}/spire/agent/k8s_psat/${CLUSTER}/${node.metadata?.uid}`,
        "-spiffeID",
        `spiffe://${TD}/ns/${NS}/pod/gone`,
        "-selector",
        "k8s:pod-uid:gone",
      ]),
      entryCreate([
        "-entryID",
        "old.legacy",
        "-parentID",
        `spiffe://${TD}/spire/server`,
        "-spiffeID",
        `spiffe://${TD}/legacy`,
        "-selector",
        "unix:uid:1",
      ]),
      entryCreate([
        "-parentID",
        `spiffe://${TD}/spire/server`,
        "-spiffeID",
        `spiffe://${TD}/hand-made`,
        "-selector",
        "unix:uid:2",
      ]),
    ]);
    const federation = await spire.cli([
      "federation",
      "create",
      "-trustDomain",
      "b.test",
      "-bundleEndpointURL",
      "https://b.test/bundle",
      "-bundleEndpointProfile",
      "https_web",
    ]);
    if (federation.code !== 0) throw new Error(`federation create: ${federation.stderr}`);

    functions = await startClusterSpiffeIdFunctions({
      dir: dir.path,
      kubeconfigPath: plane.kubeconfigPath,
      socketPath: spire.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      config: { entry_id_prefix: "reg", entry_id_prefix_cleanup: "old", cluster_domain: "cluster.local" },
      bridge: false,
    });
  });

  afterAll(async () => {
    await functions?.stop();
    await server?.stop();
    await plane?.stop();
    await dir?.remove();
  });

  beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs));

  const env = () => {
    if (!dir || !plane || !server || !functions) throw new Error("setup failed (see beforeAll)");
    return { dir: dir.path, plane, server, functions };
  };
  const plan = async (extra: string[] = []) => {
    const { plane, functions } = env();
    return runCli(cli, [
      "plan",
      "-config",
      functions.configPath,
      "--kubeconfig",
      plane.kubeconfigPath,
      "--output",
      "json",
      ...extra,
    ]);
  };
  const spireEntries = async (): Promise<Entry[]> => {
    const shown = await env().server.cli(["entry", "show", "-output", "json"]);
    if (shown.code !== 0) throw new Error(`entry show: ${shown.stderr}`);
    const parsed = parseEntries(shown.stdout, "entry show");
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.value;
  };

  it("prints live what the resync then writes, and nothing to do after it", async () => {
    const { dir, plane, server, functions } = env();
    const federationFile = join(dir, "federation.json");
    const listed = await server.cli(["federation", "list", "-output", "json"]);
    await writeFile(federationFile, listed.stdout);

    const live = await plan();
    expect(live.code, live.stderr).toBe(0);
    expect(live.stderr).toBe("");
    const printed = JSON.parse(live.stdout) as PrintedPlan;
    expect(printed.federation).toEqual({
      create: [
        {
          trustDomain: "a.test",
          bundleEndpointUrl: "https://a.test/bundle",
          bundleEndpointProfile: "https_web",
        },
      ],
      update: [],
      delete: [
        {
          trustDomain: "b.test",
          bundleEndpointUrl: "https://b.test/bundle",
          bundleEndpointProfile: "https_web",
        },
      ],
      unchanged: 0,
    });
    expect(printed.create.map((entry) => entry.spiffeId).sort()).toEqual([
      `spiffe://${TD}/db`,
      `spiffe://${TD}/ns/${NS}/pod/web-1`,
    ]);
    expect(printed.create[1]?.dnsNames).toEqual([
      "web",
      `web.${NS}`,
      `web.${NS}.svc`,
      `web.${NS}.svc.cluster.local`,
    ]);
    expect(printed.update.map((entry) => [entry.id, entry.outdated.map((change) => change.field)])).toEqual([
      ["reg.web-0", ["x509SvidTtl", "dnsNames"]],
    ]);
    expect(printed.delete.map((entry) => [entry.id, entry.reason])).toEqual([
      ["reg.gone", "undeclared"],
      ["old.legacy", "entry_id_prefix_cleanup"],
    ]);
    expect(printed.ownership).toMatchObject({ managed: 2, ignored: 1, deleteOnly: 1 });

    // The same plan from what spire-server prints.
    const entriesFile = join(dir, "entries.json");
    await writeFile(entriesFile, (await server.cli(["entry", "show", "-output", "json"])).stdout);
    const fromFiles = await plan(["--entries", entriesFile, "--federation", federationFile]);
    expect(fromFiles.stdout).toBe(live.stdout);

    const before = await spireEntries();
    const summary = await functions.resync();
    expect(summary).toMatchObject({
      status: "done",
      entriesCreated: printed.create.length,
      entriesUpdated: printed.update.length,
      entriesDeleted: printed.delete.length,
      entriesUnchanged: printed.unchanged,
      entriesFailed: 0,
      relationshipsCreated: 1,
      relationshipsUpdated: 0,
      relationshipsDeleted: 1,
      relationshipsFailed: 0,
    });
    const relationships = parseFederationRelationships(
      (await server.cli(["federation", "list", "-output", "json"])).stdout,
      "federation list",
    );
    expect(relationships.ok && relationships.value.map((item) => item.trustDomain)).toEqual(["a.test"]);

    const deleted = new Set(printed.delete.map((entry) => entry.id));
    const updated = new Map(printed.update.map((entry) => [entry.id, entry]));
    const expected = [
      ...before.filter((entry) => !deleted.has(entry.id)).map((entry) => updated.get(entry.id) ?? entry),
      ...printed.create,
    ];
    const after = await spireEntries();
    expect(after.map(comparable).sort()).toEqual(expected.map(comparable).sort());

    const crs = plane.kubeConfig.makeApiClient(CustomObjectsApi);
    for (const item of printed.statuses.filter((status) => status.changed)) {
      const stored = (await crs.getClusterCustomObject({
        group: "spire.spiffe.io",
        version: "v1alpha1",
        plural: item.kind === "ClusterSPIFFEID" ? "clusterspiffeids" : "clusterstaticentries",
        name: item.name,
      })) as { status?: unknown };
      expect(stored.status, `${item.kind} ${item.name}`).toEqual(item.status);
    }
    expect(printed.statuses.filter((status) => status.changed).map((status) => status.name)).toEqual([
      "web",
      "db",
    ]);

    const again = JSON.parse((await plan()).stdout) as PrintedPlan;
    expect([again.create, again.update, again.delete]).toEqual([[], [], []]);
    expect(again.unchanged).toBe(3);
    expect(again.federation).toMatchObject({ create: [], update: [], delete: [], unchanged: 1 });
  });
});
