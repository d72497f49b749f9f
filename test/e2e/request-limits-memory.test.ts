/**
 * The hardening issue's memory test: each HTTP function, run as the image runs it (its bundle from
 * `npm run bundle`, a process of its own), answers 20 requests of 50 MiB with 413, and its RSS after
 * them is within 50 MB of its RSS before. The functions talk to an in-memory SPIRE server on a Unix
 * socket (spiffeid-validation mints its serving certificate there); the Kubernetes API is never
 * reached, because nothing gets past the body limit.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeSpireServer, startFakeSpireServer } from "../fakes/spire-entry-server.js";
import { createFakeSvidCa } from "../fakes/spire-svid-ca.js";
import { createPki, type Pki } from "./harness/pki.js";
import { freePorts } from "./harness/ports.js";
import { type PeerProcess, spawnPeer, waitUntil } from "./harness/process.js";

const BUNDLE = join("dist", "bundle", "functions");
const TD = "example.org";
const MIB = 1024 * 1024;
const REQUESTS = 20;
const BODY_BYTES = 50 * MIB;
const RSS_SLACK_BYTES = 50 * 1000 * 1000;

interface Target {
  readonly name: string;
  readonly mode: "reconcile" | "crd" | "webhook";
  readonly tls: boolean;
  readonly path: string;
}

const TARGETS: readonly Target[] = [
  { name: "k8s-events", mode: "reconcile", tls: false, path: "/" },
  { name: "resync", mode: "reconcile", tls: false, path: "/" },
  { name: "spiffeid-events", mode: "crd", tls: false, path: "/" },
  { name: "pod-admission", mode: "webhook", tls: true, path: "/validate" },
  {
    name: "spiffeid-validation",
    mode: "crd",
    tls: true,
    path: "/validate-spiffeid-spiffe-io-v1beta1-spiffeid",
  },
];

/** Resident set size of a process, from /proc. */
function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS for ${pid}`);
  return Number(match[1]) * 1024;
}

describe("request bodies over the limit cost the functions no memory", () => {
  let dir: string;
  let pki: Pki;
  let spire: FakeSpireServer;
  let kubeconfigPath: string;
  beforeAll(async () => {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run npm run bundle first (.ci/run does)`);
    dir = mkdtempSync(join(tmpdir(), "request-limits-"));
    pki = await createPki(join(dir, "pki"));
    spire = await startFakeSpireServer({
      trustDomain: TD,
      svidMinter: await createFakeSvidCa({ trustDomain: TD }),
    });
    // Never contacted (nothing gets past the body limit), but the event and resync functions need one.
    kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(
      kubeconfigPath,
      JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [
          { name: "c", cluster: { server: "https://127.0.0.1:1", "insecure-skip-tls-verify": true } },
        ],
        users: [{ name: "u", user: { token: "t" } }],
        contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
        "current-context": "x",
      }),
    );
  });
  afterAll(async () => {
    await spire?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `target` from its bundle on free ports; resolves once it answers /healthz. */
  async function start(target: Target): Promise<{ process: PeerProcess; port: number }> {
    const [port = 0, webhookPort = 0] = await freePorts(2);
    const certDir = join(dir, `${target.name}-certs`);
    mkdirSync(certDir, { recursive: true });
    const server = await pki.issueServerCert(target.name, ["127.0.0.1", "localhost"]);
    const config = {
      mode: target.mode,
      trust_domain: TD,
      cluster: "c1",
      server_socket_path: spire.socketPath,
      log_level: "warn",
      addr: `127.0.0.1:${port}`,
      cert_path: server.certPath,
      key_path: server.keyPath,
      cacert_path: pki.ca.certPath,
      webhook_port: webhookPort,
      webhook_enabled: true,
      webhook_cert_dir: certDir,
    };
    const configPath = join(dir, `${target.name}.json`);
    writeFileSync(configPath, JSON.stringify(config));
    const servedPort = target.name === "spiffeid-validation" ? webhookPort : port;
    const process = spawnPeer({
      name: target.name,
      command: globalThis.process.execPath,
      args: [join(BUNDLE, target.name, "index.js"), "-config", configPath],
      logPath: join(dir, `${target.name}.log`),
      env: {
        PATH: globalThis.process.env.PATH ?? "",
        PORT: String(port),
        KUBECONFIG: kubeconfigPath,
        MY_POD_NAMESPACE: "spire",
      },
    });
    await waitUntil(async () => (await send(target, servedPort, 0)) === 200, {
      what: `${target.name} /healthz`,
      timeoutMs: 60_000,
      peer: process,
    });
    return { process, port: servedPort };
  }

  /** A request on a fresh keep-alive connection: GET /healthz for size 0, else a POST of `size` bytes. */
  function send(target: Target, port: number, size: number): Promise<number | string> {
    const agent = target.tls
      ? new HttpsAgent({
          keepAlive: true,
          // spiffeid-validation serves a certificate minted by the fake SPIRE CA; TLS is not what is tested.
          rejectUnauthorized: false,
          cert: readFileSync(pki.webhookClient.certPath),
          key: readFileSync(pki.webhookClient.keyPath),
        })
      : new HttpAgent({ keepAlive: true });
    const request = target.tls ? httpsRequest : httpRequest;
    const status = new Promise<number | string>((resolve) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          path: size === 0 ? "/healthz" : target.path,
          method: size === 0 ? "GET" : "POST",
          servername: "localhost",
          agent,
          headers: size === 0 ? {} : { "content-type": "application/json", "content-length": size },
        },
        (res) => {
          res.resume();
          res.on("end", () => resolve(res.statusCode ?? 0));
          res.on("error", () => resolve(res.statusCode ?? 0));
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      const chunk = Buffer.alloc(MIB, 0x61);
      let sent = 0;
      const write = () => {
        while (sent < size) {
          const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
          sent += part.length;
          if (!req.write(part)) {
            req.once("drain", write);
            return;
          }
        }
        req.end();
      };
      write();
    });
    return status.finally(() => agent.destroy());
  }

  for (const target of TARGETS) {
    it(`${target.name}: 20 requests of 50 MiB get 413, and RSS stays within 50 MB`, async () => {
      const { process, port } = await start(target);
      try {
        // Warm up the paths the measured requests take, so their first use is not counted.
        for (const size of [2 * MIB, 2 * MIB, 4 * MIB, 4 * MIB]) {
          expect(await send(target, port, size)).toBeTypeOf("number");
        }
        const before = rssBytes(process.pid);
        const statuses: (number | string)[] = [];
        for (let i = 0; i < REQUESTS; i++) statuses.push(await send(target, port, BODY_BYTES));
        const after = rssBytes(process.pid);
        expect(statuses).toEqual(Array.from({ length: REQUESTS }, () => 413));
        expect(after - before).toBeLessThan(RSS_SLACK_BYTES);
      } finally {
        await process.stop();
      }
    });
  }
});
