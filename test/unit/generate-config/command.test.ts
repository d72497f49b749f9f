import { X509Certificate } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { runMain } from "../cli/run-main.js";

const directory = mkdtempSync(join(tmpdir(), "registrar-generate-config-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const decode = (base64: unknown) => Buffer.from(String(base64), "base64").toString("utf8");

// biome-ignore lint/suspicious/noExplicitAny: the parsed YAML is checked structurally below.
type Yaml = any;

function documentsOf(stdout: string): Yaml[] {
  const documents = parseAllDocuments(stdout);
  if (!Array.isArray(documents)) throw new Error("expected a multi-document stream");
  for (const document of documents) expect(document.errors).toEqual([]);
  return documents.map((document) => document.toJS());
}

describe("registrar generate-config", () => {
  it("prints the five documents with their comments, in order and with the exact structure", async () => {
    const result = await runMain(["generate-config", "-namespace", "spire-system", "-service", "registrar"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout.startsWith("---\n# Apply to the cluster.")).toBe(true);
    expect(result.stdout.match(/^---\n# .+\n/gm)).toHaveLength(5);

    const [configMap, secret, kubeconfig, webhooks, admission, ...rest] = documentsOf(result.stdout);
    expect(rest).toEqual([]);
    const host = "registrar.spire-system.svc";

    expect(configMap).toEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "k8s-workload-registrar-certs", namespace: "spire-system" },
      data: { "server-cert.pem": expect.any(String), "cacert.pem": expect.any(String) },
    });
    const ca = new X509Certificate(configMap.data["cacert.pem"]);
    const server = new X509Certificate(configMap.data["server-cert.pem"]);
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkHost(host)).toBe(host);

    expect(secret).toEqual({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "k8s-workload-registrar-secret", namespace: "spire-system" },
      type: "Opaque",
      data: { "server-key.pem": expect.any(String) },
    });
    expect(decode(secret.data["server-key.pem"])).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    expect(kubeconfig).toEqual({
      apiVersion: "v1",
      kind: "Config",
      users: [host, `${host}:443`].map((name) => ({
        name,
        user: { "client-certificate-data": expect.any(String), "client-key-data": expect.any(String) },
      })),
    });
    const client = new X509Certificate(decode(kubeconfig.users[0].user["client-certificate-data"]));
    expect(client.subject).toBe("CN=K8S WORKLOAD REGISTRAR CLIENT");
    expect(client.verify(ca.publicKey)).toBe(true);
    expect(kubeconfig.users[1].user).toEqual(kubeconfig.users[0].user);

    expect(webhooks).toEqual({
      apiVersion: "admissionregistration.k8s.io/v1",
      kind: "ValidatingWebhookConfiguration",
      metadata: { name: "k8s-workload-registrar-webhook" },
      webhooks: [
        {
          name: host,
          clientConfig: {
            service: { name: "registrar", namespace: "spire-system", path: "/validate", port: 443 },
            caBundle: expect.any(String),
          },
          admissionReviewVersions: ["v1", "v1beta1"],
          rules: [
            {
              apiGroups: [""],
              apiVersions: ["v1"],
              operations: ["CREATE", "DELETE"],
              resources: ["pods"],
              scope: "Namespaced",
            },
          ],
          failurePolicy: "Ignore",
          sideEffects: "None",
          timeoutSeconds: 5,
          namespaceSelector: {
            matchExpressions: [
              {
                key: "kubernetes.io/metadata.name",
                operator: "NotIn",
                values: ["kube-system", "kube-public"],
              },
            ],
          },
        },
      ],
    });
    expect(decode(webhooks.webhooks[0].clientConfig.caBundle)).toBe(configMap.data["cacert.pem"]);

    expect(admission).toEqual({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "AdmissionConfiguration",
      plugins: [
        {
          name: "ValidatingAdmissionWebhook",
          configuration: {
            apiVersion: "apiserver.config.k8s.io/v1",
            kind: "WebhookAdmissionConfiguration",
            kubeConfigFile: "/etc/kubernetes/pki/k8s-workload-registrar/kubeconfig.yaml",
          },
        },
      ],
    });
  });

  it("applies the webhook and admission flags", async () => {
    const result = await runMain([
      "generate-config",
      "--failure-policy=Fail",
      "--timeout-seconds",
      "12",
      "--disabled-namespaces",
      "kube-system, istio-system",
      "--admission-kubeconfig-path=/srv/admission/kubeconfig.yaml",
    ]);
    expect(result.code).toBe(0);
    const [, , , webhooks, admission] = documentsOf(result.stdout);
    expect(webhooks.webhooks[0]).toMatchObject({
      failurePolicy: "Fail",
      timeoutSeconds: 12,
      namespaceSelector: {
        matchExpressions: [
          { key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "istio-system"] },
        ],
      },
    });
    expect(admission.plugins[0].configuration.kubeConfigFile).toBe("/srv/admission/kubeconfig.yaml");
    expect(result.stdout).toContain(
      "# Not for the cluster: save on every API server host as /srv/admission/kubeconfig.yaml.",
    );
  });

  it("leaves the namespaceSelector out when no namespace is disabled", async () => {
    const result = await runMain(["generate-config", "--disabled-namespaces="]);
    expect(result.code).toBe(0);
    expect(documentsOf(result.stdout)[3].webhooks[0]).not.toHaveProperty("namespaceSelector");
  });

  it("takes the disabled namespaces from a configuration file", async () => {
    const config = join(directory, "registrar.conf");
    writeFileSync(
      config,
      'trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/run/spire/sockets/registration.sock"\n' +
        'disabled_namespaces = ["kube-system", "monitoring"]\n',
    );
    const result = await runMain(["generate-config", "-config", config]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(documentsOf(result.stdout)[3].webhooks[0].namespaceSelector.matchExpressions[0].values).toEqual([
      "kube-system",
      "monitoring",
    ]);
  });

  it("warns when the configuration file is not for webhook mode", async () => {
    const config = join(directory, "reconcile.conf");
    writeFileSync(
      config,
      'mode = "reconcile"\ntrust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/tmp/s.sock"\n',
    );
    const result = await runMain(["generate-config", "-config", config]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe(
      `warning: ${config}: mode is "reconcile", but these files are for webhook mode\n`,
    );
  });

  it("fails with the configuration's errors when the file is invalid", async () => {
    const config = join(directory, "bad.conf");
    writeFileSync(config, 'cluster = "c"\n');
    const result = await runMain(["generate-config", "-config", config]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(`${config}: `);
    expect(result.stderr).toContain("trust_domain");
  });

  it("writes the registrar's and the API server's files with --out-dir, keys owner-only", async () => {
    const outDir = join(directory, "out", "nested");
    const result = await runMain(["generate-config", "--out-dir", outDir, "-namespace", "ns"]);
    expect(result.code).toBe(0);
    expect(readdirSync(outDir).sort()).toEqual([
      "admission-configuration.yaml",
      "admission-kubeconfig.yaml",
      "cacert.pem",
      "cert.pem",
      "key.pem",
    ]);
    const mode = (name: string) => statSync(join(outDir, name)).mode & 0o777;
    expect(mode("key.pem")).toBe(0o600);
    expect(mode("admission-kubeconfig.yaml")).toBe(0o600);
    expect(mode("cert.pem")).toBe(0o644);
    expect(mode("cacert.pem")).toBe(0o644);
    expect(mode("admission-configuration.yaml")).toBe(0o644);

    const [configMap, secret, kubeconfig] = documentsOf(result.stdout);
    const file = (name: string) => readFileSync(join(outDir, name), "utf8");
    expect(file("cert.pem")).toBe(configMap.data["server-cert.pem"]);
    expect(file("cacert.pem")).toBe(configMap.data["cacert.pem"]);
    expect(file("key.pem")).toBe(decode(secret.data["server-key.pem"]));
    expect(parse(file("admission-kubeconfig.yaml"))).toEqual(kubeconfig);
    expect(parse(file("admission-configuration.yaml")).plugins[0].configuration.kubeConfigFile).toBe(
      join(outDir, "admission-kubeconfig.yaml"),
    );
    expect(result.stderr).toBe(
      `wrote cacert.pem, cert.pem, key.pem, admission-kubeconfig.yaml, admission-configuration.yaml to ${outDir}\n`,
    );
  });

  it("replaces a world-readable key file with an owner-only one", async () => {
    const outDir = join(directory, "existing");
    await runMain(["generate-config", "--out-dir", outDir]);
    const keyPath = join(outDir, "key.pem");
    const before = readFileSync(keyPath, "utf8");
    writeFileSync(keyPath, "old", { mode: 0o644 });
    const result = await runMain(["generate-config", "--out-dir", outDir]);
    expect(result.code).toBe(0);
    expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyPath, "utf8")).not.toBe(before);
    expect(readdirSync(outDir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("fails with exit 1 when the output directory cannot be written", async () => {
    const blocker = join(directory, "a-file");
    writeFileSync(blocker, "");
    const result = await runMain(["generate-config", "--out-dir", join(blocker, "sub")]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^registrar generate-config: cannot write to .*a-file\/sub: /);
  });

  it("exits 1 naming every bad value", async () => {
    const result = await runMain([
      "generate-config",
      "-ca-key-alg",
      "ec-p224",
      "-server-key-alg=rsa-1024",
      "-ttl",
      "soon",
      "--failure-policy",
      "Never",
      "--timeout-seconds",
      "60",
      "--disabled-namespaces",
      "kube-system,Bad",
    ]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n")).toEqual([
      'registrar generate-config: -ca-key-alg: unsupported key algorithm "ec-p224": WebCrypto has no P-224 curve; supported: rsa-2048, rsa-4096, ec-p256, ec-p384, ec-p521',
      'registrar generate-config: -server-key-alg: unsupported key algorithm "rsa-1024" (supported: rsa-2048, rsa-4096, ec-p256, ec-p384, ec-p521)',
      'registrar generate-config: invalid -ttl "soon": want a Go duration such as 8760h or 720h30m, or 0 for no expiry',
      'registrar generate-config: invalid --failure-policy "Never": want Ignore or Fail',
      'registrar generate-config: invalid --timeout-seconds "60": want a whole number from 1 to 30',
      'registrar generate-config: invalid --disabled-namespaces entry "Bad": must be a DNS-1123 label (at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit)',
      "",
    ]);
  });

  it.each([
    [["--bogus"], "unknown flag: --bogus"],
    [["-ttl"], "flag needs an argument: -ttl"],
    [["extra"], "unexpected argument: extra"],
    [
      ["-config", "x.conf", "--disabled-namespaces", "a"],
      "give either --disabled-namespaces or -config, not both",
    ],
  ])("exits 2 on the usage error in %j", async (flags, reason) => {
    const result = await runMain(["generate-config", ...flags]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(`^registrar generate-config: ${reason}\nusage: registrar <command>`),
    );
    expect(result.stderr).toContain("usage: registrar generate-config [flags]");
  });

  it("prints its usage for -help and is listed in the command help", async () => {
    const help = await runMain(["generate-config", "-help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--out-dir DIR");
    expect((await runMain(["help", "generate-config"])).stdout).toBe(help.stdout);
    expect((await runMain(["help"])).stdout).toContain("generate-config");
  });
});

describe("registrar generate-config --webhook-url", () => {
  it("points the webhook at the URL, names its host in the certificate and the admission users", async () => {
    const result = await runMain(["generate-config", "--webhook-url", "https://127.0.0.1:9443"]);
    expect(result.code).toBe(0);
    const [configMap, , kubeconfig, webhooks] = documentsOf(result.stdout);
    const server = new X509Certificate(configMap.data["server-cert.pem"]);
    expect(server.subjectAltName).toBe("IP Address:127.0.0.1");
    expect(server.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(webhooks.webhooks[0].clientConfig).toEqual({
      url: "https://127.0.0.1:9443/validate",
      caBundle: expect.any(String),
    });
    expect(kubeconfig.users.map((user: { name: string }) => user.name)).toEqual([
      "127.0.0.1",
      "127.0.0.1:9443",
    ]);
  });

  it("uses a DNS name as a DNS SAN", async () => {
    const result = await runMain([
      "generate-config",
      "--webhook-url",
      "https://registrar.example.org/validate",
    ]);
    const [configMap] = documentsOf(result.stdout);
    expect(new X509Certificate(configMap.data["server-cert.pem"]).subjectAltName).toBe(
      "DNS:registrar.example.org",
    );
  });

  it.each(["http://127.0.0.1:9443/validate", "not a url", "https://127.0.0.1/validate?x=1"])(
    "rejects %s",
    async (url) => {
      const result = await runMain(["generate-config", "--webhook-url", url]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`invalid --webhook-url ${JSON.stringify(url)}`);
    },
  );
});
