/**
 * `npm run demo`: brings up a living cluster (etcd, kube-apiserver, kube-controller-manager,
 * kube-scheduler and two kwok nodes) and spire-server from the peer cache, runs the registrar through
 * `registrar serve` (reconcile mode with --watch by default; `--mode webhook` or `--mode crd` for the
 * others), creates sample pods (scheduled and started by the cluster), prints the SPIRE entries
 * as they appear and go away and the registrar's log lines, then tears everything down; with
 * `--keep` the cluster and the SPIRE server stay up, and the closing note says how to run
 * `registrar plan` against them. Compiled by tsconfig.demo.json (scripts/demo.sh).
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { main as registrar } from "../bin/main.js";
import { type Serving, startServing } from "../bin/serve/start-serving.js";
import type { Entry } from "../lib/planner/entry.js";
import { createRuntime, type Runtime } from "../lib/runtime/runtime.js";
import { releaseAll } from "../test/e2e/harness/cleanup.js";
import { type Cluster, startCluster } from "../test/e2e/harness/cluster.js";
import { freePorts } from "../test/e2e/harness/ports.js";
import { type SpireServer, startSpireServer } from "../test/e2e/harness/spire.js";
import { makeRunDir, type RunDir } from "../test/e2e/harness/tmp.js";
import { type Workloads, workloads } from "../test/e2e/support/workloads.js";

type Mode = "reconcile" | "webhook" | "crd";
const TD = "demo.example";
const NS = "shop";

interface Phase {
  readonly title: string;
  readonly config: Record<string, unknown>;
  readonly pods: ReadonlyArray<{
    name: string;
    serviceAccount?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }>;
}

const PHASES: Readonly<Record<Mode, readonly Phase[]>> = {
  reconcile: [
    {
      title: "reconcile mode, IDs from service accounts",
      config: { cluster: "demo" },
      pods: [
        { name: "frontend-1", serviceAccount: "frontend" },
        { name: "checkout-1", serviceAccount: "checkout" },
      ],
    },
    {
      title: 'reconcile mode, IDs from the pod label "spiffe.io/spiffe-id" (unlabelled pods get none)',
      config: { cluster: "demo-label", pod_label: "spiffe.io/spiffe-id" },
      pods: [{ name: "payments-1", labels: { "spiffe.io/spiffe-id": "payments" } }, { name: "no-label-1" }],
    },
    {
      title: 'reconcile mode, IDs from the pod annotation "spiffe.io/spiffe-id"',
      config: { cluster: "demo-annotation", pod_annotation: "spiffe.io/spiffe-id" },
      pods: [{ name: "ledger-1", annotations: { "spiffe.io/spiffe-id": "production/ledger" } }],
    },
  ],
  webhook: [
    {
      title: "webhook mode: the API server calls pod-admission over mutual TLS",
      config: { cluster: "demo" },
      pods: [
        { name: "frontend-1", serviceAccount: "frontend" },
        { name: "checkout-1", serviceAccount: "checkout" },
      ],
    },
  ],
  crd: [
    {
      title: "crd mode: pods get SpiffeID resources, SpiffeIDs get entries",
      config: { cluster: "demo" },
      pods: [
        { name: "frontend-1", serviceAccount: "frontend" },
        { name: "checkout-1", serviceAccount: "checkout" },
      ],
    },
  ],
};

const say = (line = "") => process.stdout.write(`${line}\n`);

/** Waits for `work`, saying what it waits for every 10 s (a cold kube-apiserver takes a while). */
async function withProgress<T>(what: string, work: Promise<T>): Promise<T> {
  const started = Date.now();
  const timer = setInterval(
    () => say(`demo: ${what}: ${Math.round((Date.now() - started) / 1000)} s so far`),
    10_000,
  );
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

/** Prints the lines the registrar appended to its log since the last call. */
async function showRegistrarLog(path: string, shown: { lines: number }): Promise<void> {
  const lines = (await readFile(path, "utf8").catch(() => "")).split("\n").filter(Boolean);
  if (lines.length <= shown.lines) return;
  say("registrar log:");
  for (const line of lines.slice(shown.lines)) say(`  | ${line}`);
  shown.lines = lines.length;
}

function table(entries: readonly Entry[]): string {
  const rows = [["SPIFFE ID", "PARENT ID", "SELECTORS"]].concat(
    [...entries]
      .sort((a, b) => (a.spiffeId < b.spiffeId ? -1 : 1))
      .map((e) => [
        e.spiffeId,
        e.parentId,
        e.selectors
          .map((s) => `${s.type}:${s.value}`)
          .sort()
          .join(","),
      ]),
  );
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows
    .map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd())
    .join("\n");
}

/** Prints entries added and removed since the last look, until `until` resolves. */
async function watchEntries(runtime: Runtime, seen: Map<string, Entry>): Promise<void> {
  const listed = await runtime.spire.listEntries();
  if (!listed.ok) return;
  const now = new Map(listed.value.map((entry) => [entry.id, entry]));
  for (const [id, entry] of now) if (!seen.has(id)) say(`  + ${entry.spiffeId}  (parent ${entry.parentId})`);
  for (const [id, entry] of seen) if (!now.has(id)) say(`  - ${entry.spiffeId}`);
  seen.clear();
  for (const [id, entry] of now) seen.set(id, entry);
}

async function settle(runtime: Runtime, seen: Map<string, Entry>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await watchEntries(runtime, seen);
    await sleep(250);
  }
}

async function runPhase(
  mode: Mode,
  phase: Phase,
  ctx: {
    plane: Cluster;
    spire: SpireServer;
    dir: RunDir;
    webhookPort: number;
    seen: Map<string, Entry>;
    logShown: { lines: number };
  },
): Promise<string> {
  say(`\n== ${phase.title}`);
  const configPath = join(ctx.dir.path, `${mode}-${String(phase.config.cluster)}.conf.json`);
  await writeFile(
    configPath,
    JSON.stringify({
      mode,
      trust_domain: TD,
      server_socket_path: ctx.spire.socketPath,
      log_path: join(ctx.dir.path, "registrar.log"),
      log_format: "text",
      log_level: "info",
      metrics_addr: "0",
      metrics_bind_addr: "0",
      ...(mode === "webhook"
        ? {
            addr: `127.0.0.1:${ctx.webhookPort}`,
            cert_path: join(ctx.dir.path, "webhook", "cert.pem"),
            key_path: join(ctx.dir.path, "webhook", "key.pem"),
            cacert_path: join(ctx.dir.path, "webhook", "cacert.pem"),
          }
        : {}),
      ...phase.config,
    }),
  );
  const env = { MY_POD_NAMESPACE: "spire" };
  const runtime = await createRuntime({
    functionName: "demo",
    configPath,
    env,
    kubeconfigPath: ctx.plane.kubeconfigPath,
  });
  let serving: Serving | undefined;
  const seen = ctx.seen;
  try {
    serving = await startServing({
      runtime,
      env,
      listen: { hostname: "127.0.0.1", port: 0 },
      watch: true,
      resyncIntervalMs: 0,
    });
    say(`registrar serving at ${serving.url} (--watch)`);
    await settle(runtime, seen, 1_000);
    const w = workloads(ctx.plane.kubeConfig);
    for (const pod of phase.pods) {
      const name = pod.name;
      say(
        `kubectl create pod ${NS}/${name}${pod.labels ? ` labels=${JSON.stringify(pod.labels)}` : ""}${pod.annotations ? ` annotations=${JSON.stringify(pod.annotations)}` : ""}`,
      );
      if (pod.serviceAccount !== undefined) await ensureServiceAccount(w, pod.serviceAccount);
      await w.runPod(NS, name, pod);
    }
    await settle(runtime, seen, 3_000);
    say("SPIRE entries now:");
    say(table([...seen.values()]));
    const first = phase.pods[0];
    if (first) {
      say(`kubectl delete pod ${NS}/${first.name}`);
      await w.deletePod(NS, first.name);
      await settle(runtime, seen, 3_000);
    }
  } finally {
    await serving?.stop();
    runtime.close();
    runtime.logger.flush();
  }
  await showRegistrarLog(join(ctx.dir.path, "registrar.log"), ctx.logShown);
  return configPath;
}

/** Creates ServiceAccount `name` in the demo namespace unless it exists (pods need theirs). */
async function ensureServiceAccount(w: Workloads, name: string): Promise<void> {
  const found = await w.core.listNamespacedServiceAccount({
    namespace: NS,
    fieldSelector: `metadata.name=${name}`,
  });
  if (found.items.length === 0) await w.createServiceAccount(NS, name);
}

async function main(): Promise<void> {
  const modeArg =
    process.argv.find((arg) => arg.startsWith("--mode="))?.slice(7) ??
    process.argv[process.argv.indexOf("--mode") + 1];
  const mode = (["reconcile", "webhook", "crd"].includes(modeArg ?? "") ? modeArg : "reconcile") as Mode;
  const keep = process.argv.includes("--keep");
  const dir = await makeRunDir("demo", () => undefined);
  let plane: Cluster | undefined;
  let spire: SpireServer | undefined;
  try {
    const [webhookPort] = (await freePorts(1)) as [number];
    let admissionConfig: { file: string } | undefined;
    if (mode === "webhook") {
      const out: string[] = [];
      const code = await registrar(
        [
          "generate-config",
          "--webhook-url",
          `https://127.0.0.1:${webhookPort}/validate`,
          "--out-dir",
          join(dir.path, "webhook"),
        ],
        { stdout: { write: (t: string) => out.push(t) }, stderr: { write: () => undefined }, env: {} },
      );
      if (code !== 0) throw new Error("generate-config failed");
      admissionConfig = { file: join(dir.path, "webhook", "admission-configuration.yaml") };
      say(
        "generated webhook certificates and the API server's admission configuration (registrar generate-config)",
      );
      plane = await withProgress(
        "starting the cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)",
        startCluster({ nodes: 2, admissionConfig, log: () => undefined }),
      );
      const yaml = await import("yaml");
      const documents = yaml.parseAllDocuments(out.join(""));
      const vwc = (Array.isArray(documents) ? documents : [documents])
        .map((d) => d.toJS())
        .find((d) => d?.kind === "ValidatingWebhookConfiguration");
      const { AdmissionregistrationV1Api } = await import("@kubernetes/client-node");
      await plane.kubeConfig
        .makeApiClient(AdmissionregistrationV1Api)
        .createValidatingWebhookConfiguration({ body: vwc });
    } else {
      plane = await withProgress(
        "starting the cluster (etcd, kube-apiserver, controller-manager, scheduler, kwok)",
        startCluster({ nodes: 2, log: () => undefined }),
      );
    }
    say(
      `kube-apiserver ${plane.server} is up, with kube-controller-manager, kube-scheduler and kwok nodes ${plane.nodeNames.join(", ")}`,
    );
    spire = await withProgress(
      "starting spire-server",
      startSpireServer({ trustDomain: TD, log: () => undefined }),
    );
    say(`spire-server is up (trust domain ${TD}, socket ${spire.socketPath})`);
    const w = workloads(plane.kubeConfig);
    await w.createNamespace(NS);
    await w.createNamespace("spire");
    say(`kubectl create namespace ${NS}`);
    if (mode === "crd") await installCrd(plane);
    const seen = new Map<string, Entry>();
    const logShown = { lines: 0 };
    let lastConfig = "";
    for (const phase of PHASES[mode])
      lastConfig = await runPhase(mode, phase, { plane, spire, dir, webhookPort, seen, logShown });
    if (mode === "crd") {
      const list = (await plane.kubeConfig.makeApiClient(CustomObjectsApi).listClusterCustomObject({
        group: "spiffeid.spiffe.io",
        version: "v1beta1",
        plural: "spiffeids",
      })) as {
        items: Array<{
          metadata: { namespace: string; name: string };
          spec: { spiffeId: string };
          status?: { entryId?: string };
        }>;
      };
      say("\nSpiffeID resources:");
      for (const item of list.items)
        say(
          `  ${item.metadata.namespace}/${item.metadata.name}  ${item.spec.spiffeId}  entry ${item.status?.entryId ?? "-"}`,
        );
    }
    if (keep) {
      const { pids, dirs } = releaseAll();
      say("\ndemo done: the cluster and the SPIRE server keep running (--keep). Try:");
      say(
        `  KUBECONFIG=${plane.kubeconfigPath} node .tmp/demo-build/bin/registrar.js plan -config ${lastConfig}`,
      );
      say("Stop them with:");
      // The peers in start order, etcd first. It goes last: kube-apiserver does not finish its
      // shutdown once etcd is gone. Whatever is still running 5 s after that is killed.
      const [etcd, ...others] = pids;
      const all = [...others]
        .reverse()
        .concat(etcd ?? [])
        .join(" ");
      say(
        `  kill ${[...others].reverse().join(" ")}; sleep 5; kill ${etcd}; sleep 5; kill -9 ${all} 2>/dev/null; rm -rf ${dirs.join(" ")}`,
      );
      plane = undefined;
      spire = undefined;
      return;
    }
    say("\ndemo done: tearing down");
  } finally {
    await spire?.stop();
    await plane?.stop();
    if (!keep) await dir.remove();
  }
}

async function installCrd(plane: Cluster): Promise<void> {
  const { readFile } = await import("node:fs/promises");
  const yaml = await import("yaml");
  const { ApiextensionsV1Api } = await import("@kubernetes/client-node");
  const crd = yaml.parse(await readFile(join(process.cwd(), "knative/base/crd/spiffeid-crd.yaml"), "utf8"));
  const api = plane.kubeConfig.makeApiClient(ApiextensionsV1Api);
  await api.createCustomResourceDefinition({ body: crd });
  for (let i = 0; i < 50; i++) {
    const read = await api.readCustomResourceDefinition({ name: crd.metadata.name });
    if (read.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) break;
    await sleep(200);
  }
  say("installed the SpiffeID CRD");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
