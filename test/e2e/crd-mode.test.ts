/**
 * CRD mode end to end: the SpiffeID CRD is installed from knative/base/crd/spiffeid-crd.yaml on a real
 * kube-apiserver, whose ValidatingWebhookConfiguration sends SpiffeID writes to the spiffeid-validation
 * function over HTTPS; k8s-events, spiffeid-events and resync run in-process against the real API
 * server and spire-server, and the event bridge delivers ApiServerSource-format events from real
 * watches (pods, nodes, endpointslices -> k8s-events; spiffeids -> spiffeid-events). Every assertion polls
 * the API server or SPIRE until the state is reached.
 */
import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  AdmissionregistrationV1Api,
  ApiException,
  ApiextensionsV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  type V1CustomResourceDefinition,
} from "@kubernetes/client-node";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { Bridge } from "../../lib/bridge/bridge.js";
import type { Entry } from "../../lib/planner/entry.js";
import {
  SPIFFEID_FINALIZER,
  SPIFFEID_GROUP,
  SPIFFEID_PLURAL,
  SPIFFEID_VERSION,
  type SpiffeId,
} from "../../lib/planner/spiffeid.js";
import { CLUSTER_PEERS, type Cluster, kwokNode, startCluster } from "./harness/cluster.js";
import type { ControlPlane } from "./harness/kube.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePort } from "./harness/ports.js";
import { printPeerLogs } from "./harness/process.js";
import { type SpireServer, startSpireServer } from "./harness/spire.js";
import { makeRunDir } from "./harness/tmp.js";
import { type CrdFunctions, startCrdBridges, startCrdFunctions } from "./support/crd-functions.js";
import { eventually } from "./support/eventually.js";
import { kubeObjects } from "./support/kube-objects.js";
import { allEntries } from "./support/spire-entries.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const CLUSTER = "crd-e2e";
const REGISTRAR_NS = "spire";
const APP_NS = "crd-app";
const OTHER_NS = "crd-other";
const NODE_ROOT = `spiffe://${TD}/k8s-workload-registrar/${CLUSTER}/node`;
const REGISTRAR_SA = "k8s-workload-registrar";
const CRD_FILE = new URL("../../knative/base/crd/spiffeid-crd.yaml", import.meta.url);
const RBAC_FILE = new URL("../../knative/base/crd/rbac-crd-mode.yaml", import.meta.url);
const logger = pino({ level: "silent" });
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/**
 * A kubeconfig that authenticates as `system:serviceaccount:<namespace>:<name>` (a client certificate
 * with that CN: RBAC matches ServiceAccount subjects by user name), so RBAC applies as to the pod.
 */
async function writeServiceAccountKubeconfig(
  plane: ControlPlane,
  dir: string,
  namespace: string,
  name: string,
): Promise<string> {
  const user = `system:serviceaccount:${namespace}:${name}`;
  const cert = await plane.pki.issueClientCert(user);
  const path = join(dir, "registrar.kubeconfig");
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: "e2e", cluster: { server: plane.server, "certificate-authority": plane.pki.ca.certPath } },
      ],
      users: [{ name: user, user: { "client-certificate": cert.certPath, "client-key": cert.keyPath } }],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user } }],
      "current-context": "e2e",
    }),
  );
  return path;
}

const PEERS = [...CLUSTER_PEERS, "spire-server"] as const;

describe.skipIf(skipWithoutPeers(PEERS))("crd mode end to end", () => {
  let dir = "";
  let removeDir: () => Promise<void> = async () => undefined;
  let plane: Cluster | undefined;
  let spireServer: SpireServer | undefined;
  let fns: CrdFunctions | undefined;
  const bridges: Bridge[] = [];

  const env = () => {
    if (!plane || !spireServer || !fns) throw new Error("peers did not start (see beforeAll)");
    const custom = plane.kubeConfig.makeApiClient(CustomObjectsApi);
    return {
      plane,
      spireServer,
      fns,
      spire: fns.spire,
      k: kubeObjects(plane.kubeConfig),
      w: workloads(plane.kubeConfig),
      custom,
    };
  };

  const getSpiffeId = (namespace: string, name: string) => env().fns.context.spiffeIds.get(namespace, name);

  /** The SpiffeID once the registrar has recorded a synced entry for it, and that entry. */
  const syncedSpiffeId = async (
    namespace: string,
    name: string,
  ): Promise<{ spiffeId: SpiffeId; entry: Entry }> => {
    const spiffeId = await getSpiffeId(namespace, name);
    if (!spiffeId) throw new Error(`no SpiffeID ${namespace}/${name} yet`);
    const entryId = spiffeId.status?.entryId;
    if (!entryId) throw new Error(`SpiffeID ${namespace}/${name} has no status.entryId yet`);
    const ready = spiffeId.status?.conditions?.find((c) => c.type === "Ready");
    if (ready?.status !== "True")
      throw new Error(`SpiffeID ${namespace}/${name} not Ready: ${JSON.stringify(ready)}`);
    const got = await env().spire.getEntry(entryId);
    if (!got.ok) throw new Error(`getEntry failed: ${got.error.message}`);
    if (!got.value) throw new Error(`entry ${entryId} of ${namespace}/${name} is not in SPIRE`);
    return { spiffeId, entry: got.value };
  };

  const entriesWithId = async (spiffeId: string) =>
    (await allEntries(env().spire)).filter((e) => e.spiffeId === spiffeId);

  /** Creates a SpiffeID as a user would (through the webhook); rejects with the API server's ApiException. */
  const createManualSpiffeId = (
    namespace: string,
    name: string,
    spec: Record<string, unknown>,
    options: { dryRun?: boolean } = {},
  ) =>
    env().custom.createNamespacedCustomObject({
      group: SPIFFEID_GROUP,
      version: SPIFFEID_VERSION,
      plural: SPIFFEID_PLURAL,
      namespace,
      body: {
        apiVersion: `${SPIFFEID_GROUP}/${SPIFFEID_VERSION}`,
        kind: "SpiffeID",
        metadata: { name },
        spec,
      },
      ...(options.dryRun ? { dryRun: "All" } : {}),
    });

  /** The status code and message of a rejected API call. */
  const rejection = async (call: Promise<unknown>): Promise<{ code: number; message: string }> => {
    try {
      await call;
    } catch (error) {
      if (!(error instanceof ApiException)) throw error;
      const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
      return { code: error.code, message: String((body as { message?: unknown }).message ?? "") };
    }
    throw new Error("the API server accepted the request");
  };

  beforeAll(async () => {
    const started = performance.now();
    const run = await makeRunDir("crd", log);
    dir = run.path;
    removeDir = run.remove;
    [plane, spireServer] = await Promise.all([
      startCluster({ nodes: 0 }),
      startSpireServer({ trustDomain: TD }),
    ]);

    const crd = parse(await readFile(CRD_FILE, "utf8")) as V1CustomResourceDefinition;
    const extensions = plane.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await extensions.createCustomResourceDefinition({ body: crd });
    const crdStarted = performance.now();
    await eventually(
      async () => {
        const current = await extensions.readCustomResourceDefinition({ name: crd.metadata?.name ?? "" });
        const established = current.status?.conditions?.find((c) => c.type === "Established");
        if (established?.status !== "True") throw new Error("CRD not Established yet");
      },
      { what: "the SpiffeID CRD to be Established" },
    );
    log(`SpiffeID CRD Established in ${Math.round(performance.now() - crdStarted)} ms`);

    // The serving certificate comes from the harness PKI and is served as a mounted Secret would be.
    const certDir = join(dir, "serving-certs");
    await mkdir(certDir);
    const serving = await plane.pki.issueServerCert("spiffeid-webhook", ["127.0.0.1"]);
    await copyFile(serving.certPath, join(certDir, "tls.crt"));
    await copyFile(serving.keyPath, join(certDir, "tls.key"));

    // The functions run as the registrar's service account with the committed RBAC, not as admin.
    const w = workloads(plane.kubeConfig);
    for (const ns of [REGISTRAR_NS, APP_NS, OTHER_NS]) await w.createNamespace(ns);
    await w.createServiceAccount(APP_NS, "web");
    const objects = KubernetesObjectApi.makeApiClient(plane.kubeConfig);
    for (const document of parseAllDocuments(await readFile(RBAC_FILE, "utf8"))) {
      await objects.create(document.toJS() as KubernetesObject);
    }
    const registrarKubeconfig = await writeServiceAccountKubeconfig(plane, dir, REGISTRAR_NS, REGISTRAR_SA);

    fns = await startCrdFunctions({
      dir,
      kubeconfigPath: registrarKubeconfig,
      socketPath: spireServer.socketPath,
      trustDomain: TD,
      cluster: CLUSTER,
      registrarNamespace: REGISTRAR_NS,
      webhookCertDir: certDir,
      webhookPort: await freePort(),
    });

    const caBundle = (await readFile(plane.pki.ca.certPath)).toString("base64");
    await plane.kubeConfig.makeApiClient(AdmissionregistrationV1Api).createValidatingWebhookConfiguration({
      body: {
        metadata: { name: "k8s-workload-registrar", labels: { "spiffe.io/webhook": "true" } },
        webhooks: [
          {
            name: "k8s-workload-registrar.spire.svc",
            clientConfig: { url: fns.webhookUrl, caBundle },
            rules: [
              {
                apiGroups: [SPIFFEID_GROUP],
                apiVersions: [SPIFFEID_VERSION],
                operations: ["CREATE", "UPDATE", "DELETE"],
                resources: [SPIFFEID_PLURAL],
                scope: "Namespaced",
              },
            ],
            admissionReviewVersions: ["v1", "v1beta1"],
            sideEffects: "None",
            failurePolicy: "Fail",
            timeoutSeconds: 10,
          },
        ],
      },
    });

    // The API server loads webhook configurations asynchronously: wait until a (dry-run) SpiffeID the
    // webhook must deny is denied, so every SpiffeID write from here on, the registrar's too, passes it.
    const hookStarted = performance.now();
    await eventually(
      async () => {
        const denied = await rejection(
          createManualSpiffeId(
            APP_NS,
            "probe",
            {
              parentId: `${NODE_ROOT}/probe`,
              spiffeId: `spiffe://${TD}/probe`,
              selector: { namespace: OTHER_NS },
            },
            { dryRun: true },
          ),
        );
        expect(denied.code).toBe(403);
      },
      { what: "the SpiffeID webhook to be in effect" },
    );
    log(`SpiffeID webhook in effect after ${Math.round(performance.now() - hookStarted)} ms`);
    bridges.push(...(await startCrdBridges(plane.kube, fns, logger)));
    log(`crd mode set up in ${Math.round(performance.now() - started)} ms`);
  });

  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
    onTestFailed(() => {
      log(`functions' config and log (crd.log) are in ${dir}`);
    });
  });

  afterAll(async () => {
    for (const bridge of bridges) await bridge.stop().catch(() => undefined);
    // The API server first: it holds keep-alive connections to the webhook, which would otherwise keep
    // the webhook's graceful close waiting for its 10 s cut-off.
    await plane?.stop();
    await fns?.stop();
    await spireServer?.stop();
    if (process.env.E2E_KEEP !== "1") await removeDir();
  });

  it("gives a node its node SpiffeID in the registrar namespace and a node entry", async () => {
    const { w } = env();
    // The cluster's only node, registering as a kubelet would (kwok then reports it Ready).
    const node = await w.core.createNode({ body: kwokNode("n1") });
    const uid = node.metadata?.uid ?? "";
    const { spiffeId, entry } = await eventually(() => syncedSpiffeId(REGISTRAR_NS, "n1"));
    expect(spiffeId.metadata.labels).toEqual({ nodeUid: uid });
    expect(spiffeId.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Node", name: "n1", uid, controller: true, blockOwnerDeletion: false },
    ]);
    expect(spiffeId.metadata.finalizers).toContain(SPIFFEID_FINALIZER);
    expect(spiffeId.spec).toMatchObject({
      parentId: `spiffe://${TD}/spire/server`,
      spiffeId: `${NODE_ROOT}/n1`,
      selector: { cluster: CLUSTER, agent_node_uid: uid },
    });
    expect(entry).toMatchObject({ spiffeId: `${NODE_ROOT}/n1`, parentId: `spiffe://${TD}/spire/server` });
    expect(entry.selectors).toEqual(
      expect.arrayContaining([
        { type: "k8s_psat", value: `cluster:${CLUSTER}` },
        { type: "k8s_psat", value: `agent_node_uid:${uid}` },
      ]),
    );
    expect(entry.selectors).toHaveLength(2);
    expect(await entriesWithId(`${NODE_ROOT}/n1`)).toHaveLength(1);
  });

  it("gives a pod a SpiffeID and an entry, recorded in status.entryId with Ready=True", async () => {
    const { w } = env();
    const pod = await w.runPod(APP_NS, "web-0", { serviceAccount: "web" });
    const uid = pod.metadata?.uid ?? "";
    const { spiffeId, entry } = await eventually(() => syncedSpiffeId(APP_NS, "web-0"));
    expect(spiffeId.metadata.labels).toEqual({ podUid: uid });
    expect(spiffeId.metadata.ownerReferences).toEqual([
      { apiVersion: "v1", kind: "Pod", name: "web-0", uid, controller: true, blockOwnerDeletion: false },
    ]);
    expect(spiffeId.metadata.finalizers).toContain(SPIFFEID_FINALIZER);
    expect(spiffeId.spec).toMatchObject({
      parentId: `${NODE_ROOT}/n1`,
      spiffeId: `spiffe://${TD}/ns/${APP_NS}/sa/web`,
      selector: { podUid: uid, namespace: APP_NS, nodeName: "n1" },
      dnsNames: ["web-0"],
    });
    expect(spiffeId.status?.conditions).toEqual([
      expect.objectContaining({ type: "Ready", status: "True", reason: "EntrySynced" }),
    ]);
    expect(entry).toMatchObject({
      id: spiffeId.status?.entryId,
      spiffeId: `spiffe://${TD}/ns/${APP_NS}/sa/web`,
      parentId: `${NODE_ROOT}/n1`,
      dnsNames: ["web-0"],
    });
    expect([...entry.selectors].sort((a, b) => a.value.localeCompare(b.value))).toEqual([
      { type: "k8s", value: `node-name:n1` },
      { type: "k8s", value: `ns:${APP_NS}` },
      { type: "k8s", value: `pod-uid:${uid}` },
    ]);
  });

  it("adds <svc>.<ns>.svc for a Service's ready endpoints and removes it when not ready or gone", async () => {
    const { k, w } = env();
    const dnsNamesAre = (expected: string[]) =>
      eventually(async () => {
        const { spiffeId, entry } = await syncedSpiffeId(APP_NS, "web-0");
        expect(spiffeId.spec.dnsNames).toEqual(expected);
        expect(entry.dnsNames).toEqual(expected);
      });
    // A Service selecting the pod: the controller-manager makes its EndpointSlice.
    await w.createService(APP_NS, "websvc", { run: "web-0" });
    await dnsNamesAre(["web-0", `websvc.${APP_NS}.svc`]);
    await w.core.deleteNamespacedService({ namespace: APP_NS, name: "websvc" });
    await dnsNamesAre(["web-0"]);

    // A Service without a selector, whose EndpointSlice its owner manages (as for endpoints outside
    // the cluster's control): readiness is whatever the slice says, so the test can flip it.
    await w.core.createNamespacedService({
      namespace: APP_NS,
      body: { metadata: { name: "manual" }, spec: { ports: [{ name: "http", port: 80 }] } },
    });
    const pod = await w.core.readNamespacedPod({ namespace: APP_NS, name: "web-0" });
    const name = await k.createEndpointSlice(APP_NS, "manual", [
      { pod: "web-0", ip: pod.status?.podIP ?? "" },
    ]);
    const svcName = `manual.${APP_NS}.svc`;
    await dnsNamesAre(["web-0", svcName]);

    // The pod turns not-ready, then ready again.
    const setReady = async (ready: boolean) => {
      const slice = await k.discovery.readNamespacedEndpointSlice({ namespace: APP_NS, name });
      slice.endpoints = slice.endpoints.map((e) => ({
        ...e,
        conditions: { ...e.conditions, ready, serving: ready },
      }));
      await k.discovery.replaceNamespacedEndpointSlice({ namespace: APP_NS, name, body: slice });
    };
    await setReady(false);
    await dnsNamesAre(["web-0"]);
    await setReady(true);
    await dnsNamesAre(["web-0", svcName]);

    // The slice is deleted: the delete event names only the slice.
    await k.discovery.deleteNamespacedEndpointSlice({ namespace: APP_NS, name });
    await dnsNamesAre(["web-0"]);
  });

  it("brings back on resync an entry deleted by hand in SPIRE, and status.entryId follows", async () => {
    const { spireServer, fns } = env();
    const { entry: before } = await syncedSpiffeId(APP_NS, "web-0");
    const deleted = await spireServer.cli(["entry", "delete", "-entryID", before.id]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(await entriesWithId(before.spiffeId)).toEqual([]);

    const resync = await fetch(fns.resyncUrl, { method: "POST" });
    const summary = await resync.json();
    expect(resync.status, JSON.stringify(summary)).toBe(200);
    expect(summary).toMatchObject({ status: "done" });
    const { spiffeId, entry } = await eventually(async () => {
      const synced = await syncedSpiffeId(APP_NS, "web-0");
      expect(synced.entry.id).not.toBe(before.id);
      return synced;
    });
    expect(spiffeId.status?.entryId).toBe(entry.id);
    expect(entry).toMatchObject({
      spiffeId: before.spiffeId,
      parentId: before.parentId,
      dnsNames: before.dnsNames,
    });
    expect(await entriesWithId(before.spiffeId)).toEqual([entry]);
  });

  it("denies through the webhook a SpiffeID whose selector names another namespace, or a look-alike trust domain", async () => {
    const parentId = `${NODE_ROOT}/n1`;
    const otherNamespace = await rejection(
      createManualSpiffeId(APP_NS, "sneaky", {
        parentId,
        spiffeId: `spiffe://${TD}/sneaky`,
        selector: { namespace: OTHER_NS, serviceAccount: "admin" },
      }),
    );
    expect(otherNamespace.code).toBe(403);
    expect(otherNamespace.message).toContain("spec.Selector.Namespace must match namespace of resource");

    const evil = await rejection(
      createManualSpiffeId(APP_NS, "evil", {
        parentId,
        spiffeId: `spiffe://${TD}.evil/workload`,
        selector: { namespace: APP_NS, serviceAccount: "evil" },
      }),
    );
    expect(evil.code).toBe(403);
    expect(evil.message).toContain(`spec.spiffeId must begin with spiffe://${TD}`);
    expect(await getSpiffeId(APP_NS, "sneaky")).toBeUndefined();
    expect(await getSpiffeId(APP_NS, "evil")).toBeUndefined();
  });

  it("denies through the webhook a downstream SpiffeID, another namespace's ID, a node ID and a selector with a line break (hardening defects 7-9)", async () => {
    const parentId = `${NODE_ROOT}/n1`;
    const selector = { namespace: APP_NS, serviceAccount: "tenant" };
    const cases: [string, Record<string, unknown>, string][] = [
      [
        "ca",
        { parentId, spiffeId: `spiffe://${TD}/tenant/ca`, selector, downstream: true },
        "downstream_namespaces",
      ],
      [
        "admin",
        { parentId, spiffeId: `spiffe://${TD}/ns/${OTHER_NS}/sa/admin`, selector },
        `claims namespace "${OTHER_NS}"`,
      ],
      ["node", { parentId, spiffeId: `${NODE_ROOT}/n2`, selector }, "reserved for the registrar"],
      [
        "smuggler",
        {
          parentId,
          spiffeId: `spiffe://${TD}/tenant/x`,
          selector: { ...selector, podName: "p\nk8s:ns:kube-system" },
        },
        "must not contain control characters",
      ],
    ];
    for (const [name, spec, reason] of cases) {
      const denied = await rejection(createManualSpiffeId(APP_NS, name, spec));
      expect(denied.code).toBe(403);
      expect(denied.message).toContain(reason);
      expect(await getSpiffeId(APP_NS, name)).toBeUndefined();
    }
  });

  it("admits a valid manual SpiffeID, syncs it to SPIRE, and removes its entry through the finalizer", async () => {
    const id = `spiffe://${TD}/manual/worker`;
    await createManualSpiffeId(APP_NS, "manual", {
      parentId: `${NODE_ROOT}/n1`,
      spiffeId: id,
      selector: { namespace: APP_NS, serviceAccount: "worker" },
      dnsNames: ["worker.example"],
    });
    const { entry } = await eventually(() => syncedSpiffeId(APP_NS, "manual"));
    expect(entry).toMatchObject({ spiffeId: id, dnsNames: ["worker.example"] });
    await env().fns.context.spiffeIds.delete(APP_NS, "manual");
    await eventually(async () => {
      expect(await getSpiffeId(APP_NS, "manual")).toBeUndefined();
      expect(await entriesWithId(id)).toEqual([]);
    });
  });

  it("removes the SpiffeID and the entry of a deleted pod", async () => {
    const { w, fns } = env();
    const { entry } = await syncedSpiffeId(APP_NS, "web-0");
    await w.deletePod(APP_NS, "web-0");
    await eventually(async () => {
      expect(await getSpiffeId(APP_NS, "web-0")).toBeUndefined();
      const got = await fns.spire.getEntry(entry.id);
      expect(got.ok && got.value).toBeUndefined();
      expect(await entriesWithId(entry.spiffeId)).toEqual([]);
    });
  });
});
