#!/usr/bin/env node
// Start-up benchmark (run by `npm run bench:startup`, which builds first; figures only).
//
// (a) `registrar check-config`: time from process start to "config loaded" and RSS then, from the
//     CLI's REGISTRAR_STARTUP_PROBE line. Goal for the JSON form: <= 150 ms, <= 70 MB.
// (b) Every function entry (dist/functions/<name>/index.js) and `registrar serve`: time from spawning
//     the process to its first served request (GET /healthz answered 200, polled every 2 ms), and the
//     process's CPU time (all threads, /proc/<pid>/task/*/schedstat) and RSS at that moment. Goal:
//     <= 400 ms. The CPU time is the steadier figure on a busy machine.
//
// Each configuration is a Knative overlay's registrar.conf (knative/overlays/<mode>) with only what
// must differ on this machine replaced: SPIRE is the in-memory server (scripts/fake-spire-server.mjs,
// which also mints spiffeid-validation's certificate), ports are free loopback ports, pod-admission
// uses certificates made with openssl here. The JSON form is what `registrar check-config` prints
// for that file. Figures are medians of BENCH_RUNS cold starts (default 10), HCL and JSON interleaved.
//
// BENCH_DIST=dist,other-build compares builds in one run (starts interleaved, so a machine busy with
// something else weighs on every build alike); each must sit inside the repository (node_modules).
import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

// The bundles (what the image ships) and the plain build, unless BENCH_DIST says otherwise.
const DISTS = (process.env.BENCH_DIST ?? "dist/bundle,dist").split(",");
const cli = (dist) => join(dist, "bin", "registrar.js");
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const TD = "example.org";
const CHECK_CONFIG_GOAL = { loadedMs: 150, rssMb: 70 };
const READY_GOAL_MS = 400;
const START_TIMEOUT_MS = 30_000;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** `text` with each `key = value` line replaced (or appended when absent). */
function withKeys(text, keys) {
  let result = text;
  for (const [key, value] of Object.entries(keys)) {
    const line = `${key} = ${JSON.stringify(value)}`;
    const pattern = new RegExp(`^${key}\\s*=.*$`, "m");
    result = pattern.test(result) ? result.replace(pattern, line) : `${result}${line}\n`;
  }
  return result;
}

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** CPU time of all the process's threads so far (less sensitive than wall time to a busy machine). */
function cpuMs(pid) {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
  }
  return total / 1e6;
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** One GET; resolves to the status code, or undefined when nothing answers yet. */
function get(url, tls) {
  return new Promise((resolve) => {
    const request = (tls ? httpsRequest : httpRequest)(url, { ...tls, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on("error", () => resolve(undefined));
    request.end();
  });
}

/** Spawns `args`, polls `url` until 200; the figures at that moment. Stops the process by its PID. */
async function coldStart({ args, env, url, tls }) {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => {
    stderr += chunk;
  });
  let exited = false;
  const exit = new Promise((resolve) => {
    child.once("exit", () => {
      exited = true;
      resolve();
    });
  });
  try {
    for (;;) {
      if (exited) throw new Error(`${args.join(" ")} exited before serving: ${stderr}`);
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`${args.join(" ")} never served`);
      if ((await get(url, tls)) === 200) {
        const readyMs = performance.now() - started;
        return { readyMs, cpuMs: cpuMs(child.pid), rssMb: rssMb(child.pid) };
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    if (!exited) {
      process.kill(child.pid, "SIGTERM");
      await exit;
    }
  }
}

function checkConfigOnce(configPath, dist = DISTS[0]) {
  const child = spawnSync(process.execPath, [cli(dist), "check-config", "-config", configPath], {
    encoding: "utf8",
    env: { ...process.env, REGISTRAR_STARTUP_PROBE: "1" },
  });
  if (child.status !== 0) throw new Error(`check-config failed (${child.status}): ${child.stderr}`);
  const probeLine = child.stderr.split("\n").find((line) => line.startsWith('{"loadedMs"'));
  if (!probeLine) throw new Error(`no startup probe in stderr: ${child.stderr}`);
  const probe = JSON.parse(probeLine);
  return { loadedMs: probe.loadedMs, rssMb: probe.rssBytes / (1024 * 1024), json: child.stdout };
}

/** The in-memory SPIRE server in its own process; resolves to its socket path and a stop function. */
async function startFakeSpire() {
  const child = spawn(process.execPath, [join("scripts", "fake-spire-server.mjs"), TD], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const socketPath = await new Promise((resolve, reject) => {
    child.stdout.once("data", (chunk) => resolve(chunk.toString("utf8").trim()));
    child.once("exit", (code) => reject(new Error(`fake SPIRE server exited with ${code}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      child.once("exit", resolve);
      process.kill(child.pid, "SIGTERM");
    });
  return { socketPath, stop };
}

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: bench
  cluster:
    server: https://127.0.0.1:9
contexts:
- name: bench
  context: { cluster: bench, user: bench }
current-context: bench
users:
- name: bench
  user: { token: bench }
`;

/**
 * The cases: each function with the overlay of a mode it runs in, and `registrar serve`. A case's
 * `prepare(dir)` writes what differs per start (ports) and returns how to spawn and poll it.
 */
async function buildCases({ dir, socketPath, pki }) {
  const overlay = (mode) => readFileSync(join("knative", "overlays", mode, "registrar.conf"), "utf8");
  const common = { server_address: `unix://${socketPath}` };
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, KUBECONFIG);
  const env = { KUBECONFIG: kubeconfig, MY_POD_NAMESPACE: "bench" };
  const clientTls = {
    ca: readFileSync(pki.ca.certPath),
    cert: readFileSync(pki.webhookClient.certPath),
    key: readFileSync(pki.webhookClient.keyPath),
  };
  const serverCert = await pki.issueServerCert("bench-webhook", ["127.0.0.1", "localhost"]);
  const httpFunction = (name, mode) => ({
    name,
    config: () => withKeys(overlay(mode), common),
    spawn: async () => {
      const port = await freePort();
      return {
        args: (dist) => [join(dist, "functions", name, "index.js")],
        env: { ...env, PORT: String(port) },
        url: `http://127.0.0.1:${port}/healthz`,
      };
    },
  });
  const cases = [
    httpFunction("k8s-events", "reconcile"),
    httpFunction("resync", "reconcile"),
    httpFunction("spiffeid-events", "crd"),
    {
      name: "pod-admission",
      // The port is part of the config, so each start gets its own file (written before the clock).
      config: (port) =>
        withKeys(overlay("webhook"), {
          ...common,
          addr: `127.0.0.1:${port}`,
          cert_path: serverCert.certPath,
          key_path: serverCert.keyPath,
          cacert_path: pki.ca.certPath,
        }),
      perStartConfig: true,
      spawn: async (port) => ({
        args: (dist) => [join(dist, "functions", "pod-admission", "index.js")],
        env,
        url: `https://127.0.0.1:${port}/healthz`,
        tls: clientTls,
      }),
    },
    {
      name: "spiffeid-validation",
      config: (port) =>
        withKeys(overlay("crd"), {
          ...common,
          webhook_port: port,
          webhook_cert_dir: join(dir, `serving-certs-${port}`),
        }),
      perStartConfig: true,
      spawn: async (port) => ({
        args: (dist) => [join(dist, "functions", "spiffeid-validation", "index.js")],
        env,
        url: `https://127.0.0.1:${port}/healthz`,
        // A certificate minted for the webhook Service's DNS name, not for 127.0.0.1.
        tls: { rejectUnauthorized: false },
      }),
    },
    {
      name: "registrar serve",
      // metrics_addr on the listener's own port: one HTTP listener, as in a Deployment.
      config: (port) => withKeys(overlay("reconcile"), { ...common, metrics_addr: `:${port}` }),
      perStartConfig: true,
      spawn: async (port, configPath) => ({
        args: (dist) => [cli(dist), "serve", "-config", configPath, "--listen", `127.0.0.1:${port}`],
        env,
        url: `http://127.0.0.1:${port}/healthz`,
      }),
    },
  ];
  return cases;
}

/** Writes the HCL file of a start and its JSON form (check-config's output). */
function writeForms(dir, name, text) {
  const base = join(dir, name.replace(/\W+/g, "-"));
  writeFileSync(`${base}.conf`, text);
  const { json } = checkConfigOnce(`${base}.conf`);
  writeFileSync(`${base}.json.conf`, json);
  return { HCL: `${base}.conf`, JSON: `${base}.json.conf` };
}

async function measureFunctions(dir, cases) {
  const samples = new Map();
  const record = (key, figures) => {
    const list = samples.get(key) ?? [];
    list.push(figures);
    samples.set(key, list);
  };
  const fixed = new Map(
    cases
      .filter((item) => !item.perStartConfig)
      .map((item) => [item.name, writeForms(dir, item.name, item.config())]),
  );
  for (let run = 0; run < RUNS; run += 1) {
    for (const item of cases) {
      for (const form of run % 2 === 0 ? ["HCL", "JSON"] : ["JSON", "HCL"]) {
        for (const dist of run % 2 === 0 ? DISTS : [...DISTS].reverse()) {
          const port = await freePort();
          const files = fixed.get(item.name) ?? writeForms(dir, `${item.name}-${port}`, item.config(port));
          const target = await item.spawn(port, files[form]);
          const args =
            item.name === "registrar serve"
              ? target.args(dist)
              : [...target.args(dist), "-config", files[form]];
          record(JSON.stringify([item.name, form, dist]), await coldStart({ ...target, args }));
        }
      }
    }
  }
  return [...samples.entries()].map(([key, list]) => {
    const [name, form, dist] = JSON.parse(key);
    return {
      name,
      form,
      dist,
      readyMs: median(list.map((item) => item.readyMs)),
      minMs: Math.min(...list.map((item) => item.readyMs)),
      cpuMs: median(list.map((item) => item.cpuMs)),
      rssMb: median(list.map((item) => item.rssMb)),
    };
  });
}

function measureCheckConfig(dir) {
  const overlay = readFileSync("knative/overlays/reconcile/registrar.conf", "utf8");
  const forms = writeForms(dir, "check-config", overlay);
  const samples = new Map();
  for (let run = 0; run < RUNS; run += 1) {
    for (const dist of DISTS) {
      for (const form of ["HCL", "JSON"]) {
        const key = JSON.stringify([dist, form]);
        samples.set(key, [...(samples.get(key) ?? []), checkConfigOnce(forms[form], dist)]);
      }
    }
  }
  return [...samples.entries()].map(([key, runs]) => {
    const [dist, form] = JSON.parse(key);
    return {
      dist,
      form,
      loadedMs: median(runs.map((r) => r.loadedMs)),
      rssMb: median(runs.map((r) => r.rssMb)),
    };
  });
}

for (const dist of DISTS) {
  if (!existsSync(cli(dist))) {
    console.error(`${cli(dist)} not found: run "npm run build" first (npm run bench:startup does).`);
    process.exit(1);
  }
}
const tsc = spawnSync(join("node_modules", ".bin", "tsc"), ["-p", "tsconfig.bench.json"], {
  stdio: "inherit",
});
if (tsc.status !== 0) process.exit(1);
const { createPki } = await import(
  pathToFileURL(join(process.cwd(), ".tmp/bench-build/test/e2e/harness/pki.js")).href
);

const dir = mkdtempSync(join(tmpdir(), "registrar-bench-"));
const spire = await startFakeSpire();
try {
  mkdirSync(join(dir, "pki"));
  const pki = await createPki(join(dir, "pki"));
  const checkConfig = measureCheckConfig(dir);
  const functions = await measureFunctions(dir, await buildCases({ dir, socketPath: spire.socketPath, pki }));

  // The build column appears only when builds are compared.
  const build = (row) => (DISTS.length > 1 ? `  ${row.dist}` : "");
  console.log(`Start-up, median of ${RUNS} cold starts (node ${process.version})`);
  console.log("\n(a) registrar check-config: process start to config loaded");
  console.log(`form  loaded ms  RSS MB${DISTS.length > 1 ? "  build" : ""}`);
  for (const row of checkConfig) {
    const cells = [row.form.padEnd(4), row.loadedMs.toFixed(1).padStart(9), row.rssMb.toFixed(1).padStart(6)];
    console.log(`${cells.join("  ")}${build(row)}`);
  }
  for (const row of checkConfig.filter((item) => item.form === "JSON")) {
    const met = row.loadedMs <= CHECK_CONFIG_GOAL.loadedMs && row.rssMb <= CHECK_CONFIG_GOAL.rssMb;
    const goal = `JSON goal (<= ${CHECK_CONFIG_GOAL.loadedMs} ms, <= ${CHECK_CONFIG_GOAL.rssMb} MB)`;
    console.log(`${goal}: ${met ? "met" : "NOT met"}${build(row)}`);
  }

  console.log(`\n(b) process start to first served request (GET /healthz 200); goal <= ${READY_GOAL_MS} ms`);
  console.log(
    `function             form  ready ms  (min)  CPU ms  RSS MB${DISTS.length > 1 ? "  build" : ""}`,
  );
  for (const row of functions) {
    const cells = [
      row.name.padEnd(19),
      row.form.padEnd(4),
      row.readyMs.toFixed(0).padStart(8),
      `(${row.minMs.toFixed(0)})`.padStart(6),
      row.cpuMs.toFixed(0).padStart(6),
      row.rssMb.toFixed(1).padStart(6),
    ];
    console.log(`${cells.join("  ")}${build(row)}${row.readyMs <= READY_GOAL_MS ? "" : "  over goal"}`);
  }
} finally {
  await spire.stop();
  rmSync(dir, { recursive: true, force: true });
}
