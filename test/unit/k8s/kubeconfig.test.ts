import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import {
  type KubeTarget,
  type LoadKubeconfigOptions,
  loadKubeconfig,
  NO_KUBECONFIG,
} from "../../../lib/k8s/kubeconfig.js";
import { writeExecPlugin } from "../../fakes/exec-plugin.js";

const CA = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n";
const b64 = (text: string) => Buffer.from(text).toString("base64");

interface Config {
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: Record<string, unknown> }>;
  "current-context"?: string;
}

/** A kubeconfig with one cluster, user and context named "c", "u", "x" (current). */
const single = (
  cluster: Record<string, unknown>,
  user: Record<string, unknown> = {},
  namespace?: string,
): Config => ({
  clusters: [{ name: "c", cluster: { server: "https://api.example:6443", ...cluster } }],
  users: [{ name: "u", user }],
  contexts: [{ name: "x", context: { cluster: "c", user: "u", ...(namespace ? { namespace } : {}) } }],
  "current-context": "x",
});

let dir: string;
let now: number;
/** Options that never read the developer's real environment, home or service account. */
const isolated = (options: LoadKubeconfigOptions = {}): LoadKubeconfigOptions => ({
  env: {},
  homeDir: join(dir, "home"),
  serviceAccountDir: join(dir, "no-service-account"),
  now: () => now,
  ...options,
});

function write(relativePath: string, content: string | Config): string {
  const path = join(dir, relativePath);
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileSync(path, typeof content === "string" ? content : stringify(content));
  return path;
}

function load(options: LoadKubeconfigOptions): KubeTarget {
  const loaded = loadKubeconfig(isolated(options));
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.value;
}

function loadError(options: LoadKubeconfigOptions): string {
  const loaded = loadKubeconfig(isolated(options));
  if (loaded.ok) throw new Error("expected an error");
  return loaded.error;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kubeconfig-"));
  now = Date.parse("2026-06-01T00:00:00Z");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("loadKubeconfig: what a kubeconfig says", () => {
  it("reads the data forms of certificates and keys, a token and the context's namespace", async () => {
    const path = write(
      "kubeconfig",
      single(
        { "certificate-authority-data": b64(CA) },
        { "client-certificate-data": b64(CERT), "client-key-data": b64(KEY), token: "tok" },
        "apps",
      ),
    );
    const target = load({ path });
    expect(target.server).toBe("https://api.example:6443");
    expect(target.namespace).toBe("apps");
    expect(target.source).toBe(path);
    expect(target.tls).toEqual({
      ca: Buffer.from(CA),
      cert: Buffer.from(CERT),
      key: Buffer.from(KEY),
      insecureSkipVerify: false,
    });
    expect(await target.credentials.authorization()).toBe("Bearer tok");
    expect(target.credentials.invalidate()).toBe(false);
    expect(Object.isFrozen(target)).toBe(true);
  });

  it("reads file forms relative to the kubeconfig's directory, and a token file", async () => {
    write("conf/pki/ca.pem", CA);
    write("conf/pki/client.pem", CERT);
    write("conf/pki/client.key", KEY);
    write("conf/token", "from-file\n");
    const path = write(
      "conf/kubeconfig",
      single(
        { "certificate-authority": "pki/ca.pem" },
        {
          "client-certificate": "pki/client.pem",
          "client-key": join(dir, "conf/pki/client.key"),
          tokenFile: "token",
        },
      ),
    );
    const target = load({ path });
    expect(target.tls).toMatchObject({ ca: Buffer.from(CA), cert: Buffer.from(CERT), key: Buffer.from(KEY) });
    expect(await target.credentials.authorization()).toBe("Bearer from-file");
  });

  it("takes insecure-skip-tls-verify, tls-server-name and username/password", async () => {
    const path = write(
      "kubeconfig",
      single(
        { "insecure-skip-tls-verify": true, "tls-server-name": "api.internal" },
        { username: "admin", password: "s3cret" },
      ),
    );
    const target = load({ path });
    expect(target.tls).toEqual({ servername: "api.internal", insecureSkipVerify: true });
    expect(await target.credentials.authorization()).toBe(`Basic ${b64("admin:s3cret")}`);
  });

  it("sends nothing for a context without a user", async () => {
    const path = write("kubeconfig", {
      ...single({}),
      users: [],
      contexts: [{ name: "x", context: { cluster: "c" } }],
    });
    expect(await load({ path }).credentials.authorization()).toBeUndefined();
  });
});

describe("loadKubeconfig: where the kubeconfig comes from", () => {
  it("merges KUBECONFIG like kubectl: first definition of a name wins, current-context from the first file setting it", () => {
    const a = write("a.yaml", {
      clusters: [{ name: "c", cluster: { server: "https://a:1" } }],
      contexts: [{ name: "from-b", context: { cluster: "c", namespace: "ns-a" } }],
    });
    const b = write("b.yaml", {
      clusters: [
        { name: "c", cluster: { server: "https://b:1" } },
        { name: "only-b", cluster: { server: "https://b:2" } },
      ],
      contexts: [{ name: "from-b", context: { cluster: "only-b" } }],
      "current-context": "from-b",
    });
    const c = write("c.yaml", { "current-context": "other" });
    const target = load({ env: { KUBECONFIG: [a, join(dir, "missing.yaml"), b, c].join(":") } });
    expect(target.server).toBe("https://a:1");
    expect(target.namespace).toBe("ns-a");
    expect(target.source).toBe(`${a}:${b}:${c}`);
  });

  it("prefers an explicit file to KUBECONFIG, KUBECONFIG to ~/.kube/config, and that to in-cluster", () => {
    const explicit = write("explicit", single({ server: "https://explicit:1" }));
    const listed = write("listed", single({ server: "https://listed:1" }));
    write("home/.kube/config", single({ server: "https://home:1" }));
    const serviceAccountDir = join(dir, "sa");
    write("sa/token", "t");
    write("sa/ca.crt", CA);
    const inCluster = { KUBERNETES_SERVICE_HOST: "10.0.0.1", KUBERNETES_SERVICE_PORT: "443" };
    const env = { ...inCluster, KUBECONFIG: listed };
    expect(load({ path: explicit, env, serviceAccountDir }).server).toBe("https://explicit:1");
    expect(load({ env, serviceAccountDir }).server).toBe("https://listed:1");
    expect(load({ env: inCluster, serviceAccountDir }).server).toBe("https://home:1");
    rmSync(join(dir, "home"), { recursive: true });
    expect(load({ env: inCluster, serviceAccountDir }).server).toBe("https://10.0.0.1:443");
  });

  it("runs in a cluster from the service account's token, CA and namespace", async () => {
    const serviceAccountDir = join(dir, "sa");
    write("sa/token", "first\n");
    write("sa/ca.crt", CA);
    write("sa/namespace", "spire\n");
    const target = load({
      env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "6443" },
      serviceAccountDir,
    });
    expect(target).toMatchObject({
      server: "https://[fd00::1]:6443",
      namespace: "spire",
      source: "in-cluster",
      tls: { ca: Buffer.from(CA), insecureSkipVerify: false },
    });
    expect(await target.credentials.authorization()).toBe("Bearer first");
  });

  it("reads a rotated service-account token at most once a minute, and at once after a 401", async () => {
    const serviceAccountDir = join(dir, "sa");
    write("sa/token", "first");
    write("sa/ca.crt", CA);
    const { credentials } = load({
      env: { KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "1" },
      serviceAccountDir,
    });
    expect(await credentials.authorization()).toBe("Bearer first");
    write("sa/token", "second");
    now += 59_000;
    expect(await credentials.authorization()).toBe("Bearer first");
    now += 1_000;
    expect(await credentials.authorization()).toBe("Bearer second");
    write("sa/token", "third");
    expect(credentials.invalidate()).toBe(true);
    expect(await credentials.authorization()).toBe("Bearer third");
  });

  it("says where to look when there is no kubeconfig anywhere", () => {
    expect(loadError({})).toBe(NO_KUBECONFIG);
    expect(NO_KUBECONFIG).toBe("no kubeconfig found: use --kubeconfig, KUBECONFIG, or run in a cluster");
  });
});

describe("loadKubeconfig: exec credential plugins", () => {
  const execUser = (exec: Record<string, unknown>) =>
    single(
      {},
      { exec: { apiVersion: "client.authentication.k8s.io/v1", interactiveMode: "Never", ...exec } },
    );

  it("runs the plugin with its args and env, and keeps the token until it expires", async () => {
    const plugin = writeExecPlugin(dir);
    const path = write(
      "kubeconfig",
      execUser({
        command: plugin.path,
        args: ["arg1"],
        env: [
          { name: "RUNS_FILE", value: plugin.runsFile },
          { name: "EXPIRES", value: "2026-06-01T01:00:00Z" },
        ],
      }),
    );
    const { credentials } = load({ path });
    expect(await credentials.authorization()).toBe("Bearer tok-1-arg1");
    expect(await credentials.authorization()).toBe("Bearer tok-1-arg1");
    expect(plugin.runs()).toBe(1);
    expect(plugin.lastExecInfo()).toEqual({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      spec: { interactive: false },
    });
    now = Date.parse("2026-06-01T01:00:00Z");
    expect(await credentials.authorization()).toBe("Bearer tok-2-arg1");
    // After a 401 the client invalidates: the plugin runs again even though the token has not expired.
    now = Date.parse("2026-06-01T00:00:00Z");
    expect(credentials.invalidate()).toBe(true);
    expect(await credentials.authorization()).toBe("Bearer tok-3-arg1");
    expect(plugin.runs()).toBe(3);
  });

  it("resolves a relative command against the kubeconfig's directory; v1beta1 and cluster info", async () => {
    mkdirSync(join(dir, "conf/bin"), { recursive: true });
    const plugin = writeExecPlugin(join(dir, "conf/bin"));
    const path = write("conf/kubeconfig", {
      ...single({ "certificate-authority-data": b64(CA), "tls-server-name": "api" }),
      users: [
        {
          name: "u",
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1beta1",
              command: "./bin/plugin.mjs",
              env: [{ name: "RUNS_FILE", value: plugin.runsFile }],
              provideClusterInfo: true,
            },
          },
        },
      ],
    });
    const { credentials } = load({ path });
    // Without an expirationTimestamp the token is kept until a 401.
    expect(await credentials.authorization()).toBe("Bearer tok-1-");
    now += 86_400_000;
    expect(await credentials.authorization()).toBe("Bearer tok-1-");
    expect(plugin.lastExecInfo()).toEqual({
      apiVersion: "client.authentication.k8s.io/v1beta1",
      kind: "ExecCredential",
      spec: {
        interactive: false,
        cluster: {
          server: "https://api.example:6443",
          "certificate-authority-data": b64(CA),
          "tls-server-name": "api",
        },
      },
    });
  });

  it("names the plugin and what went wrong when it fails", async () => {
    const plugin = writeExecPlugin(dir);
    const failing = async (env: Array<{ name: string; value: string }>, command = plugin.path) => {
      const path = write(
        "kubeconfig",
        execUser({ command, env: [{ name: "RUNS_FILE", value: plugin.runsFile }, ...env] }),
      );
      return load({ path })
        .credentials.authorization()
        .catch((error: Error) => error.message);
    };
    const name = `exec plugin ${JSON.stringify(plugin.path)}`;
    expect(await failing([{ name: "FAIL", value: "1" }])).toBe(
      `${name} failed: exited with code 3: plugin says no`,
    );
    expect(await failing([], join(dir, "no-such-plugin"))).toBe(
      `exec plugin ${JSON.stringify(join(dir, "no-such-plugin"))} failed: command not found`,
    );
    expect(await failing([{ name: "OUTPUT", value: "hello" }])).toBe(
      `${name} printed no ExecCredential JSON: "hello"`,
    );
    expect(
      await failing([
        {
          name: "OUTPUT",
          value: JSON.stringify({
            apiVersion: "client.authentication.k8s.io/v1beta1",
            kind: "ExecCredential",
          }),
        },
      ]),
    ).toBe(
      `${name} printed apiVersion "client.authentication.k8s.io/v1beta1", expected "client.authentication.k8s.io/v1"`,
    );
    expect(
      await failing([
        {
          name: "OUTPUT",
          value: JSON.stringify({
            apiVersion: "client.authentication.k8s.io/v1",
            kind: "ExecCredential",
            status: { clientCertificateData: CERT, clientKeyData: KEY },
          }),
        },
      ]),
    ).toBe(`${name} returned no status.token (client certificates from exec plugins are not supported)`);
    expect(await failing([{ name: "EXPIRES", value: "tomorrow" }])).toBe(
      `${name} returned an invalid status.expirationTimestamp "tomorrow"`,
    );
  });
});

describe("loadKubeconfig: errors name the file and the key", () => {
  const cases: Array<[string, Config | string, string]> = [
    ["malformed YAML", "clusters: [\n  - name: c\n", "invalid YAML: "],
    ["a document that is not a mapping", "- a\n- b\n", "not a kubeconfig (expected a YAML mapping)"],
    ["no current context", { ...single({}), "current-context": undefined }, "current-context is not set"],
    [
      "a missing context",
      { ...single({}), "current-context": "nope" },
      'context "nope" (current-context) not found',
    ],
    [
      "a missing cluster",
      { ...single({}), contexts: [{ name: "x", context: { cluster: "nope", user: "u" } }] },
      'context "x": cluster "nope" not found',
    ],
    [
      "a missing user",
      { ...single({}), contexts: [{ name: "x", context: { cluster: "c", user: "nope" } }] },
      'context "x": user "nope" not found',
    ],
    ["a cluster without server", single({ server: null }), 'cluster "c": server is not set'],
    [
      "a server that is not a URL",
      single({ server: "api:6443" }),
      'cluster "c": server "api:6443" is not an http(s) URL',
    ],
    [
      "auth-provider",
      single({}, { "auth-provider": { name: "gcp" } }),
      'user "u": auth-provider is not supported: use an exec credential plugin (client.authentication.k8s.io/v1)',
    ],
    [
      "proxy-url",
      single({ "proxy-url": "http://proxy:3128" }),
      'cluster "c": proxy-url is not supported: reach the API server directly',
    ],
    ["impersonation", single({}, { as: "someone" }), 'user "u": as (impersonation) is not supported'],
    [
      "two kinds of credential",
      single({}, { token: "t", username: "a" }),
      'user "u": more than one kind of credential (token, username/password); keep one',
    ],
    [
      "a client certificate without key",
      single({}, { "client-certificate-data": b64(CERT) }),
      'user "u": client-certificate needs client-key',
    ],
    [
      "data that is not PEM",
      single({ "certificate-authority-data": b64("not pem") }),
      'cluster "c": certificate-authority-data is not base64-encoded PEM',
    ],
    [
      "an unsupported exec apiVersion",
      single({}, { exec: { apiVersion: "client.authentication.k8s.io/v1alpha1", command: "x" } }),
      'user "u": exec.apiVersion "client.authentication.k8s.io/v1alpha1" is not supported (use client.authentication.k8s.io/v1 or client.authentication.k8s.io/v1beta1)',
    ],
    [
      "an exec plugin without command",
      single({}, { exec: { apiVersion: "client.authentication.k8s.io/v1" } }),
      'user "u": exec.command is not set',
    ],
    [
      "a value of the wrong type",
      single({ "insecure-skip-tls-verify": "yes please" }),
      'cluster "c": insecure-skip-tls-verify must be true or false',
    ],
  ];
  it.each(cases)("%s", (_what, content, message) => {
    const path = write("kubeconfig", content);
    const error = loadError({ path });
    expect(error.startsWith(`kubeconfig ${path}: `), error).toBe(true);
    expect(error).toContain(message);
  });

  it("names a referenced file that cannot be read", () => {
    const path = write("kubeconfig", single({ "certificate-authority": "missing-ca.pem" }));
    expect(loadError({ path })).toMatch(
      new RegExp(
        `^kubeconfig ${path}: cluster "c": certificate-authority: cannot read ${join(dir, "missing-ca.pem")}: ENOENT`,
      ),
    );
  });

  it("names an explicit kubeconfig that does not exist, and a KUBECONFIG naming none", () => {
    expect(loadError({ path: join(dir, "missing.kubeconfig") })).toMatch(
      /^cannot read kubeconfig .*missing\.kubeconfig: ENOENT/,
    );
    expect(loadError({ env: { KUBECONFIG: `${join(dir, "a")}:${join(dir, "b")}` } })).toBe(
      `KUBECONFIG names no existing file: ${join(dir, "a")}, ${join(dir, "b")}`,
    );
  });

  it("names the service account file missing in a cluster", () => {
    write("sa/token", "t");
    expect(
      loadError({
        env: { KUBERNETES_SERVICE_HOST: "h", KUBERNETES_SERVICE_PORT: "1" },
        serviceAccountDir: join(dir, "sa"),
      }),
    ).toMatch(/^in-cluster configuration: ENOENT: no such file or directory, open '.*sa\/ca\.crt'$/);
  });
});
