import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:https";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { createKubeClient, type KubeClient } from "../../../lib/k8s/kube-client.js";
import { loadKubeconfig } from "../../../lib/k8s/kubeconfig.js";
import { httpOk } from "./http.js";
import { elapsedMs, type HarnessLog, stderrLog } from "./log.js";
import { peerBinary } from "./peers.js";
import { createPki, type Pki } from "./pki.js";
import { freePorts } from "./ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./process.js";
import { makeRunDir } from "./tmp.js";

const ETCD_READY_TIMEOUT_MS = 30_000;
// kube-apiserver needs ~10-30 s on 2 cores to install its post-start hooks
const APISERVER_READY_TIMEOUT_MS = 120_000;

/** Options of `startControlPlane`. */
export interface ControlPlaneOptions {
  /**
   * Pass an AdmissionConfiguration so admission webhooks get the webhook client cert.
   * `webhookClientUser` is the kubeconfig user name kube-apiserver matches against the
   * webhook URL's `host:port` (e.g. "127.0.0.1:9443"), or "*" for every webhook. Or `file`: an
   * AdmissionConfiguration written elsewhere (e.g. by `registrar generate-config --out-dir`).
   */
  admissionConfig?: { webhookClientUser: string } | { file: string };
  /** More kube-apiserver flags, e.g. `["--max-requests-inflight=2000"]` for load tests. */
  apiServerArgs?: readonly string[];
  /** More etcd flags, e.g. `["--quota-backend-bytes=8589934592"]` for a cluster of 50,000 pods. */
  etcdArgs?: readonly string[];
  /**
   * Keep the ServiceAccount admission plugin (a real cluster's default). Only with a
   * kube-controller-manager (`startCluster`), whose controller creates each namespace's "default"
   * ServiceAccount; on a bare kube-apiserver the plugin would reject every pod.
   */
  serviceAccountAdmission?: boolean;
  log?: HarnessLog;
}

/** A running etcd + kube-apiserver pair with an admin (system:masters) kubeconfig. */
export interface ControlPlane {
  /** JSON kubeconfig (valid YAML) with the admin client cert. */
  kubeconfigPath: string;
  /** e.g. https://127.0.0.1:PORT */
  server: string;
  /** `kubeconfigPath` loaded into client-node, for the tests' own set-up and checks. */
  kubeConfig: KubeConfig;
  /** The registrar's own client over `kubeconfigPath` (closed by `stop()`). */
  kube: KubeClient;
  pki: Pki;
  /** Configs, PKI, data and logs (`etcd.log`, `kube-apiserver.log`). */
  runDir: string;
  /** Process ids, e.g. to read their CPU time from /proc. */
  pids: { etcd: number; kubeApiServer: number };
  /** Stops kube-apiserver then etcd (by PID) and removes the run dir. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts etcd and kube-apiserver on free loopback ports with a fresh PKI and waits for
 * both /readyz endpoints. Everything started is stopped again if a later step fails.
 */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? stderrLog;
  const run = await makeRunDir("kube", log);
  const started: PeerProcess[] = [];
  const stop = async (): Promise<void> => {
    for (const peer of [...started].reverse()) await peer.stop();
    await run.remove();
  };
  try {
    const pki = await createPki(join(run.path, "pki"));
    const [etcdClientPort, etcdPeerPort, apiPort] = await freePorts(3);
    if (etcdClientPort === undefined || etcdPeerPort === undefined || apiPort === undefined) {
      throw new Error("freePorts(3) returned fewer ports");
    }

    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdStart = performance.now();
    const etcd = spawnPeer({
      name: "etcd",
      command: peerBinary("etcd"),
      logPath: join(run.path, "etcd.log"),
      args: [
        "--name=e2e",
        `--data-dir=${join(run.path, "etcd")}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
        `--initial-cluster=e2e=http://127.0.0.1:${etcdPeerPort}`,
        "--unsafe-no-fsync",
        ...(opts.etcdArgs ?? []),
      ],
    });
    started.push(etcd);
    await waitUntil(() => httpOk(`${etcdUrl}/readyz`), {
      what: "etcd /readyz",
      timeoutMs: ETCD_READY_TIMEOUT_MS,
      peer: etcd,
    });
    log(`etcd ready in ${elapsedMs(etcdStart)} ms (${etcdUrl}, pid ${etcd.pid})`);

    const server = `https://127.0.0.1:${apiPort}`;
    const admissionArgs =
      opts.admissionConfig === undefined
        ? []
        : [
            `--admission-control-config-file=${
              "file" in opts.admissionConfig
                ? opts.admissionConfig.file
                : await writeAdmissionConfig(run.path, pki, opts.admissionConfig.webhookClientUser)
            }`,
          ];
    const apiStart = performance.now();
    const apiServer = spawnPeer({
      name: "kube-apiserver",
      command: peerBinary("kube-apiserver"),
      logPath: join(run.path, "kube-apiserver.log"),
      args: [
        `--etcd-servers=${etcdUrl}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        "--advertise-address=127.0.0.1",
        "--endpoint-reconciler-type=none",
        `--tls-cert-file=${pki.apiServer.certPath}`,
        `--tls-private-key-file=${pki.apiServer.keyPath}`,
        `--client-ca-file=${pki.ca.certPath}`,
        "--authorization-mode=RBAC",
        "--service-cluster-ip-range=10.0.0.0/24",
        `--service-account-issuer=${server}`,
        `--service-account-key-file=${pki.serviceAccount.publicKeyPath}`,
        `--service-account-signing-key-file=${pki.serviceAccount.privateKeyPath}`,
        // without a controller-manager nothing creates the "default" ServiceAccount, so that plugin would reject every pod
        ...(opts.serviceAccountAdmission === true ? [] : ["--disable-admission-plugins=ServiceAccount"]),
        "--allow-privileged=true",
        ...admissionArgs,
        ...(opts.apiServerArgs ?? []),
      ],
    });
    started.push(apiServer);
    const tls = {
      ca: await readFile(pki.ca.certPath),
      cert: await readFile(pki.admin.certPath),
      key: await readFile(pki.admin.keyPath),
    };
    await waitUntil(() => httpsOk(`${server}/readyz`, tls), {
      what: "kube-apiserver /readyz",
      timeoutMs: APISERVER_READY_TIMEOUT_MS,
      intervalMs: 500,
      peer: apiServer,
    });
    log(
      `kube-apiserver ready in ${elapsedMs(apiStart)} ms, start to /readyz (${server}, pid ${apiServer.pid})`,
    );

    const kubeconfigPath = join(run.path, "admin.kubeconfig");
    await writeJson(kubeconfigPath, {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{ name: "e2e", cluster: { server, "certificate-authority": pki.ca.certPath } }],
      users: [
        {
          name: "admin",
          user: { "client-certificate": pki.admin.certPath, "client-key": pki.admin.keyPath },
        },
      ],
      contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin", namespace: "default" } }],
      "current-context": "e2e",
    });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(kubeconfigPath);
    const target = loadKubeconfig({ path: kubeconfigPath });
    if (!target.ok) throw new Error(target.error);
    const kube = createKubeClient(target.value);

    let stopped: Promise<void> | undefined;
    return {
      kubeconfigPath,
      server,
      kubeConfig,
      kube,
      pki,
      runDir: run.path,
      pids: { etcd: etcd.pid, kubeApiServer: apiServer.pid },
      stop: () => {
        kube.close();
        stopped ??= stop();
        return stopped;
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Writes the AdmissionConfiguration (and the kubeconfig it points to) that makes
 * kube-apiserver present the webhook client cert to webhooks matching `user`.
 */
async function writeAdmissionConfig(runDir: string, pki: Pki, user: string): Promise<string> {
  const kubeConfigFile = join(runDir, "webhook-client.kubeconfig");
  await writeJson(kubeConfigFile, {
    apiVersion: "v1",
    kind: "Config",
    users: [
      {
        name: user,
        user: { "client-certificate": pki.webhookClient.certPath, "client-key": pki.webhookClient.keyPath },
      },
    ],
  });
  const webhookConfiguration = {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "WebhookAdmissionConfiguration",
    kubeConfigFile,
  };
  const path = join(runDir, "admission.json");
  await writeJson(path, {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AdmissionConfiguration",
    plugins: [
      { name: "ValidatingAdmissionWebhook", configuration: webhookConfiguration },
      { name: "MutatingAdmissionWebhook", configuration: webhookConfiguration },
    ],
  });
  return path;
}

// JSON is valid YAML, so kube-apiserver and the kubeconfig loaders read these files as they are.
async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFile(path, `${JSON.stringify(value, null, 2)}\n`);
}

function httpsOk(url: string, tls: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ...tls, timeout: 5_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on("error", reject);
    req.end();
  });
}
