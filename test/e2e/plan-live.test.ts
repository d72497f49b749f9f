/**
 * `registrar plan` against the real kube-apiserver and spire-server, run as its own process the way
 * an operator runs it: a plan is printed only when SPIRE's entries were read from a server of the
 * configured trust domain; otherwise the command exits 1 and says what to fix (never silently, never
 * a plan against no entries). `/readyz` of `registrar serve` makes the same trust-domain check.
 */
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { CLUSTER_PEERS, type Cluster, startCluster } from "./harness/cluster.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { freePort } from "./harness/ports.js";
import { type PeerProcess, printPeerLogs, spawnPeer } from "./harness/process.js";
import { type SpireAgent, type SpireServer, startSpireAgent, startSpireServer } from "./harness/spire.js";
import { makeRunDir, type RunDir } from "./harness/tmp.js";
import { bundleCli, runCli } from "./support/cli-process.js";
import { eventually } from "./support/eventually.js";
import { workloads } from "./support/workloads.js";

const TD = "example.org";
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

const PEERS = [...CLUSTER_PEERS, "spire-server", "spire-agent"] as const;

describe.skipIf(skipWithoutPeers(PEERS))(
  "registrar plan and /readyz against the live cluster and server",
  () => {
    let dir: RunDir | undefined;
    let plane: Cluster | undefined;
    let spireServer: SpireServer | undefined;
    let agent: SpireAgent | undefined;
    let cli = "";
    const served: PeerProcess[] = [];

    beforeAll(async () => {
      dir = await makeRunDir("plan", log);
      [plane, spireServer, cli] = await Promise.all([
        startCluster({ nodes: 1 }),
        startSpireServer({ trustDomain: TD }),
        bundleCli(dir.path),
      ]);
      const w = workloads(plane.kubeConfig);
      await w.createNamespace("apps");
      await w.runPod("apps", "web");
    });

    afterAll(async () => {
      for (const process of served) await process.stop();
      await agent?.stop();
      await spireServer?.stop();
      await plane?.stop();
      await dir?.remove();
    });

    beforeEach(({ onTestFailed }) => onTestFailed(printPeerLogs));

    const env = () => {
      if (!dir || !plane || !spireServer) throw new Error("setup failed (see beforeAll)");
      return { dir: dir.path, plane, spireServer };
    };

    /** Writes a reconcile-mode config; `spire` is its server_socket_path or server_address lines. */
    const configFile = async (name: string, spire: string, trustDomain = TD) => {
      const path = join(env().dir, `${name}.conf`);
      await writeFile(
        path,
        `mode = "reconcile"\ntrust_domain = "${trustDomain}"\ncluster = "plan"\nmetrics_addr = "0"\n${spire}\n`,
      );
      return path;
    };
    const plan = async (config: string) =>
      runCli(cli, ["plan", "-config", config, "--kubeconfig", env().plane.kubeconfigPath]);

    it("reads the live cluster and server and prints the plan", async () => {
      const config = await configFile("ok", `server_socket_path = "${env().spireServer.socketPath}"`);
      const result = await plan(config);
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^create +spiffe:\/\/example\.org\/ns\/apps\/sa\/default /m);
    });

    it("exits 1 naming the server socket and --entries when the socket is missing", async () => {
      const missing = join(env().dir, "no-server.sock");
      const result = await plan(await configFile("no-socket", `server_socket_path = "${missing}"`));
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `cannot read the SPIRE server's entries: SPIRE server socket ${missing} does not exist`,
      );
      expect(result.stderr).toContain("pass --entries FILE");
    });

    it("exits 1 within its deadline naming the agent socket when there is no agent (remote server over mTLS)", async () => {
      const agent = join(env().dir, "no-agent.sock");
      const config = await configFile(
        "no-agent",
        `server_address = "127.0.0.1:${env().spireServer.bindPort}"\nagent_socket_path = "${agent}"\nspire_timeout = "1s"`,
      );
      const result = await plan(config);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `cannot read the SPIRE server's entries: SPIRE agent socket ${agent} does not exist or does not accept connections (ENOENT)`,
      );
    });

    it("exits 1 within its deadline when the agent issues this process no SVID, naming the agent and the fix", async () => {
      const { spireServer } = env();
      agent = await startSpireAgent(spireServer);
      const config = await configFile(
        "no-entry",
        `server_address = "127.0.0.1:${spireServer.bindPort}"\nagent_socket_path = "${agent.socketPath}"\nspire_timeout = "2s"`,
      );
      const result = await plan(config);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        `the SPIRE agent at ${agent.socketPath} issued no X509-SVID to this process`,
      );
      expect(result.stderr).toContain("registrar bootstrap-entries prints the commands");
    });

    it("exits 1 when the server serves another trust domain than trust_domain", async () => {
      const config = await configFile(
        "other-td",
        `server_socket_path = "${env().spireServer.socketPath}"`,
        "other.test",
      );
      const result = await plan(config);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe("");
      expect(result.stderr).toContain(
        'SPIRE server serves trust domain "example.org", but trust_domain is "other.test"',
      );
    });

    it("/readyz of registrar serve answers 503 naming both trust domains", async () => {
      const { dir, plane, spireServer } = env();
      const port = await freePort();
      const config = await configFile(
        "serve-other-td",
        `server_socket_path = "${spireServer.socketPath}"`,
        "other.test",
      );
      const serve = spawnPeer({
        name: "registrar serve",
        command: process.execPath,
        args: [
          cli,
          "serve",
          "-config",
          config,
          "--kubeconfig",
          plane.kubeconfigPath,
          "--listen",
          `127.0.0.1:${port}`,
        ],
        logPath: join(dir, "serve.log"),
      });
      served.push(serve);
      await eventually(async () => {
        const response = await fetch(`http://127.0.0.1:${port}/readyz`);
        expect(response.status).toBe(503);
        expect(await response.text()).toContain(
          'SPIRE server serves trust domain "example.org", but trust_domain is "other.test"',
        );
      });
      await serve.stop();
    });

    it("says where to look when there is no kubeconfig anywhere", async () => {
      const { dir } = env();
      const config = await configFile("no-kube", `server_socket_path = "${env().spireServer.socketPath}"`);
      const result = await runCli(cli, ["plan", "-config", config], { PATH: process.env.PATH, HOME: dir });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe("no kubeconfig found: use --kubeconfig, KUBECONFIG, or run in a cluster\n");
    });

    it("names a kubeconfig that is not YAML, and calls an API server it cannot verify a TLS problem", async () => {
      const { dir, plane } = env();
      const config = await configFile("bad-kube", `server_socket_path = "${env().spireServer.socketPath}"`);
      const broken = join(dir, "broken.kubeconfig");
      await writeFile(broken, "clusters: [\n");
      const notYaml = await runCli(cli, ["plan", "-config", config, "--kubeconfig", broken]);
      expect(notYaml.code).toBe(1);
      expect(notYaml.stderr).toContain(`kubeconfig ${broken}: invalid YAML`);

      // The same API server without its CA: the system's CAs do not sign its certificate.
      const unverified = join(dir, "no-ca.kubeconfig");
      const original = JSON.parse(await readFile(plane.kubeconfigPath, "utf8"));
      delete original.clusters[0].cluster["certificate-authority"];
      await writeFile(unverified, JSON.stringify(original));
      const tls = await runCli(cli, ["plan", "-config", config, "--kubeconfig", unverified]);
      expect(tls.code).toBe(1);
      expect(tls.stderr).toMatch(
        /^TLS verification of the API server failed: cannot list pods \(all namespaces\): .*; check certificate-authority\n$/,
      );
    });

    it("bootstrap-entries prints commands the real spire-server takes, and no mode's plan deletes what they create", async () => {
      const { spireServer } = env();
      const socket = `server_socket_path = "${spireServer.socketPath}"`;
      const printed = await runCli(cli, [
        "bootstrap-entries",
        "-config",
        await configFile("bootstrap", socket),
      ]);
      expect(printed.code).toBe(0);
      const commands = printed.stdout.split("\n").filter((line) => line.startsWith("spire-server "));
      expect(commands).toHaveLength(3);
      for (const command of commands) {
        const created = await spireServer.cli(command.split(" ").slice(1));
        expect(created.code, `${command}\n${created.stderr}`).toBe(0);
      }
      const shown = JSON.parse((await spireServer.cli(["entry", "show", "-output", "json"])).stdout) as {
        entries: { spiffe_id: { path: string }; admin?: boolean }[];
      };
      const ours = shown.entries.filter((e) => e.spiffe_id.path.startsWith("/k8s-workload-registrar/plan/"));
      expect(ours.map((e) => [e.spiffe_id.path, e.admin ?? false]).sort()).toEqual([
        ["/k8s-workload-registrar/plan/agents", false],
        ["/k8s-workload-registrar/plan/sa/registrar-k8s-events", true],
        ["/k8s-workload-registrar/plan/sa/registrar-resync", true],
      ]);
      for (const mode of ["reconcile", "webhook"]) {
        const path = join(env().dir, `bootstrap-${mode}.conf`);
        await writeFile(path, `mode = "${mode}"\ntrust_domain = "${TD}"\ncluster = "plan"\n${socket}\n`);
        const result = await runCli(cli, [
          "plan",
          "-config",
          path,
          "--kubeconfig",
          env().plane.kubeconfigPath,
          "--output",
          "json",
        ]);
        expect(result.code, result.stderr).toBe(0);
        const plan = JSON.parse(result.stdout) as { delete: { spiffeId: string }[] };
        expect(plan.delete.filter((e) => e.spiffeId.includes("/k8s-workload-registrar/plan/"))).toEqual([]);
      }
    });
  },
);
