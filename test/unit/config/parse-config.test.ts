import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Config } from "../../../lib/config/config.js";
import { configToJson } from "../../../lib/config/config-to-json.js";
import { CONFIG_KEYS } from "../../../lib/config/keys.js";
import { loadConfig, parseConfig } from "../../../lib/config/parse-config.js";

const PATH = "registrar.conf";
const MINIMAL = 'trust_domain = "domain.test"\ncluster = "CLUSTER"\nserver_socket_path = "SOCKETPATH"\n';

function ok(text: string): { config: Config; warnings: readonly string[] } {
  const result = parseConfig(text, PATH);
  if (!result.ok) throw new Error(`expected a valid config, got ${result.error.join("\n")}`);
  return result.value;
}

function errors(text: string): string[] {
  const result = parseConfig(text, PATH);
  if (result.ok) throw new Error("expected errors, got a valid config");
  return result.error;
}

const WEBHOOK_DEFAULTS: Config = {
  mode: "webhook",
  logLevel: "info",
  logPath: "",
  logFormat: "json",
  trustDomain: "domain.test",
  serverAddress: "unix://SOCKETPATH",
  serverSocketPath: "SOCKETPATH",
  agentSocketPath: "",
  cluster: "CLUSTER",
  podLabel: "",
  podAnnotation: "",
  disabledNamespaces: ["kube-system", "kube-public"],
  addr: ":8443",
  certPath: "cert.pem",
  keyPath: "key.pem",
  caCertPath: "cacert.pem",
  insecureSkipClientVerification: false,
  webhookFailClosed: false,
  leaderElection: false,
  leaderElectionResourceLock: "leases",
  leaderElectionNamespace: "",
  metricsAddr: ":8080",
  eventAck: "processed",
  controllerName: "spire-k8s-registrar",
  addPodDnsNames: false,
  clusterDnsZone: "cluster.local",
  endpointsSource: "endpointslices",
  addSvcDnsName: true,
  metricsBindAddr: ":8080",
  podController: true,
  webhookEnabled: false,
  webhookCertDir: "/run/spire/serving-certs",
  webhookPort: 9443,
  webhookServiceName: "k8s-workload-registrar",
  identityTemplate: "",
  identityTemplateLabel: "",
  context: {},
  dnsNameTemplates: ["{{.Pod.Name}}"],
  spireTimeout: "5s",
  spireTimeoutMs: 5000,
  entryBatchSize: 50,
  entryConcurrency: 4,
  maxRequestBytes: 3 * 1024 * 1024,
  downstreamNamespaces: [],
  adminNamespaces: [],
  allowCrossNamespaceIds: false,
  clusterDomain: "",
  ignoreNamespaces: ["kube-system", "kube-public", "spire-system"],
  className: "",
  watchClassless: false,
  parentIdTemplate: "",
  entryIdPrefix: "",
  entryIdPrefixCleanup: "",
  clusterSpiffeIdTenantRules: false,
  clusterSpiffeIdAdminGroups: [],
  clusterSpiffeIdDownstreamGroups: [],
};

describe("defaults (reference §6.1, §6.10)", () => {
  it("fills every default of the webhook mode for the minimal config", () => {
    expect(ok(MINIMAL)).toEqual({ config: WEBHOOK_DEFAULTS, warnings: [] });
  });

  it("fills the reconcile defaults", () => {
    const { config } = ok(`${MINIMAL}mode = "reconcile"\n`);
    expect(config).toEqual({ ...WEBHOOK_DEFAULTS, mode: "reconcile" });
  });

  it("fills the crd defaults", () => {
    const { config } = ok(`${MINIMAL}mode = "crd"\nidentity_template = "IDENTITYTEMPLATE"\n`);
    expect(config).toEqual({ ...WEBHOOK_DEFAULTS, mode: "crd", identityTemplate: "IDENTITYTEMPLATE" });
  });

  it.each([
    ["log_level", '""', "logLevel", "info"],
    ["mode", '""', "mode", "webhook"],
    ["addr", '""', "addr", ":8443"],
    ["metrics_addr", '""', "metricsAddr", ":8080"],
    ["controller_name", '""', "controllerName", "spire-k8s-registrar"],
    ["cluster_dns_zone", '""', "clusterDnsZone", "cluster.local"],
    ["leader_election_resource_lock", '""', "leaderElectionResourceLock", "leases"],
    ["webhook_port", "0", "webhookPort", 9443],
    ["webhook_cert_dir", '""', "webhookCertDir", "/run/spire/serving-certs"],
    ["entry_batch_size", "0", "entryBatchSize", 50],
    ["spire_timeout", '""', "spireTimeout", "5s"],
  ] as const)("an empty or zero %s = %s takes the default", (key, value, field, expected) => {
    expect(ok(`${MINIMAL}${key} = ${value}\n`).config[field]).toEqual(expected);
  });

  it.each([
    ["disabled_namespaces", "disabledNamespaces"],
    ["dns_name_templates", "dnsNameTemplates"],
  ] as const)("an explicit empty %s stays empty", (key, field) => {
    expect(ok(`${MINIMAL}${key} = []\n`).config[field]).toEqual([]);
  });

  it("keeps an explicit false for the crd booleans preset to true", () => {
    const { config } = ok(`${MINIMAL}mode = "crd"\nadd_svc_dns_name = false\npod_controller = false\n`);
    expect([config.addSvcDnsName, config.podController]).toEqual([false, false]);
  });

  it("lets server_address win over server_socket_path", () => {
    const { config } = ok(`${MINIMAL}server_address = "unix:///other.sock"\n`);
    expect(config.serverAddress).toBe("unix:///other.sock");
  });

  it("accepts a remote server_address with an agent socket", () => {
    const text =
      'trust_domain = "domain.test"\ncluster = "C"\nserver_address = "spire:8081"\nagent_socket_path = "/a.sock"\n';
    expect(ok(text).config.serverAddress).toBe("spire:8081");
  });
});

describe("overrides (reference §6.1, §6.10)", () => {
  it("keeps every webhook override; mode and disabled namespaces keep their defaults", () => {
    const text = [
      'log_level = "debug"',
      'log_path = "PATHOVERRIDE"',
      'addr = ":1234"',
      'cert_path = "CERTOVERRIDE"',
      'key_path = "KEYOVERRIDE"',
      'cacert_path = "CACERTOVERRIDE"',
      "insecure_skip_client_verification = true",
      'server_socket_path = "SOCKETPATHOVERRIDE"',
      'trust_domain = "override.test"',
      'cluster = "CLUSTEROVERRIDE"',
      'pod_label = "PODLABEL"',
    ].join("\n");
    expect(ok(text).config).toEqual({
      ...WEBHOOK_DEFAULTS,
      logLevel: "debug",
      logPath: "PATHOVERRIDE",
      addr: ":1234",
      certPath: "CERTOVERRIDE",
      keyPath: "KEYOVERRIDE",
      caCertPath: "CACERTOVERRIDE",
      insecureSkipClientVerification: true,
      serverSocketPath: "SOCKETPATHOVERRIDE",
      serverAddress: "unix://SOCKETPATHOVERRIDE",
      trustDomain: "override.test",
      cluster: "CLUSTEROVERRIDE",
      podLabel: "PODLABEL",
    });
  });

  it("keeps the reconcile overrides", () => {
    const text = `${MINIMAL}mode = "reconcile"\ncontroller_name = "override"\ncluster_dns_zone = "override.local"
leader_election_resource_lock = "endpointsleases"\nmetrics_addr = ":8081"\npod_label = "L"\nlog_level = "warning"\nlog_path = "P"\n`;
    expect(ok(text).config).toMatchObject({
      controllerName: "override",
      clusterDnsZone: "override.local",
      leaderElectionResourceLock: "endpointsleases",
      metricsAddr: ":8081",
      podLabel: "L",
      logLevel: "warning",
      logPath: "P",
    });
  });

  it("keeps the crd overrides and accepts webhook keys silently", () => {
    const text = `${MINIMAL}mode = "crd"\nidentity_template = "T"\nadd_svc_dns_name = false\nleader_election = true
metrics_bind_addr = "127.0.0.1:9090"\ndns_name_templates = ["DNSNAMETEMPLATE"]\naddr = ":1"\ncert_path = "c"\nkey_path = "k"\ncacert_path = "ca"\n`;
    const { config, warnings } = ok(text);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      addSvcDnsName: false,
      leaderElection: true,
      metricsBindAddr: "127.0.0.1:9090",
      dnsNameTemplates: ["DNSNAMETEMPLATE"],
    });
  });

  it("accepts identity_template with a context block and identity_template_label", () => {
    const text = `${MINIMAL}mode = "crd"\nidentity_template = "region/{{.Context.region}}/{{.Context.cluster_name}}"
identity_template_label = "enable_identity"\ncontext {\n  region = "EU-DE"\n  cluster_name = "MYCLUSTER"\n}\n`;
    expect(ok(text).config).toMatchObject({
      identityTemplateLabel: "enable_identity",
      context: { region: "EU-DE", cluster_name: "MYCLUSTER" },
    });
  });

  it("keeps a list of two dns_name_templates", () => {
    const text = `${MINIMAL}dns_name_templates = ["{{.Pod.Name}}.svc", "{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}"]\n`;
    expect(ok(text).config.dnsNameTemplates).toEqual([
      "{{.Pod.Name}}.svc",
      "{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}",
    ]);
  });

  it("sets the keys new in this project", () => {
    const text = `${MINIMAL}leader_election_namespace = "spire"\nwebhook_fail_closed = true\nspire_timeout = "1m30s"
entry_batch_size = 200\nentry_concurrency = 8\n`;
    expect(ok(text).config).toMatchObject({
      leaderElectionNamespace: "spire",
      webhookFailClosed: true,
      spireTimeout: "1m30s",
      spireTimeoutMs: 90_000,
      entryBatchSize: 200,
      entryConcurrency: 8,
    });
  });
});

describe("validation messages (reference §1.4, §1.6)", () => {
  const COMMON = `${PATH}: error parsing common config: `;
  it.each([
    [
      "td + cluster only",
      'trust_domain = "domain.test"\ncluster = "C"',
      `${COMMON}server_address or server_socket_path must be specified`,
    ],
    [
      "remote server without agent socket",
      'trust_domain = "domain.test"\ncluster = "C"\nserver_address = "spire:8081"',
      `${COMMON}agent_socket_path must be specified if the server is not a local socket (line 3)`,
    ],
    [
      "cluster + socket",
      'cluster = "C"\nserver_socket_path = "S"',
      `${COMMON}trust_domain must be specified`,
    ],
    [
      "uppercase trust domain",
      'trust_domain = "TRUSTDOMAIN"\ncluster = "C"\nserver_socket_path = "S"',
      `${COMMON}malformed trust domain: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores (line 1)`,
    ],
    [
      "td + socket",
      'trust_domain = "domain.test"\nserver_socket_path = "S"',
      `${COMMON}cluster must be specified`,
    ],
    [
      "pod_label + pod_annotation",
      `${MINIMAL}pod_label = "L"\npod_annotation = "A"`,
      `${COMMON}workload registration mode specification is incorrect, can't specify both pod_label and pod_annotation (line 5)`,
    ],
    [
      "invalid mode",
      `${MINIMAL}mode = "x"`,
      `${COMMON}invalid mode "x", valid values are crd, webhook, reconcile and cluster-spiffeid (line 4)`,
    ],
    [
      "invalid log level",
      `${MINIMAL}log_level = "LEVELOVERRIDE"`,
      `${PATH}: error setting up logging: not a valid logrus Level: "LEVELOVERRIDE" (line 4)`,
    ],
    [
      "invalid log format",
      `${MINIMAL}log_format = "xml"`,
      `${PATH}: error setting up logging: unknown logger format: "xml" (line 4)`,
    ],
    [
      "identity_template + pod_label",
      `${MINIMAL}mode = "crd"\npod_label = "L"\nidentity_template = "T"`,
      `${PATH}: workload registration configuration is incorrect, can only use one of identity_template, pod_annotation, or pod_label (line 6)`,
    ],
    [
      "identity_template + pod_annotation",
      `${MINIMAL}mode = "crd"\npod_annotation = "A"\nidentity_template = "T"`,
      `${PATH}: workload registration configuration is incorrect, can only use one of identity_template, pod_annotation, or pod_label (line 6)`,
    ],
    [
      "template context, spaced",
      `${MINIMAL}identity_template = "region/{{ .Context.region}}"`,
      `${PATH}: identity_template references non-existing context (line 4)`,
    ],
    [
      "template context",
      `${MINIMAL}identity_template = "region/{{.Context.region}}"`,
      `${PATH}: identity_template references non-existing context (line 4)`,
    ],
    [
      "dns context, spaced",
      `${MINIMAL}dns_name_templates = ["{{ .Context.namespace}}"]`,
      `${PATH}: dns_name_template references non-existing context (line 4)`,
    ],
    [
      "dns context",
      `${MINIMAL}dns_name_templates = ["{{.Context.namespace}}"]`,
      `${PATH}: dns_name_template references non-existing context (line 4)`,
    ],
    [
      "configmaps lock in reconcile",
      `${MINIMAL}mode = "reconcile"\nleader_election = true\nleader_election_resource_lock = "configmaps"`,
      `${PATH}: the "configmaps" leader election resource lock type is no longer supported (line 6)`,
    ],
    [
      "configmaps lock in crd",
      `${MINIMAL}mode = "crd"\nleader_election = true\nleader_election_resource_lock = "configmaps"`,
      `${PATH}: the "configmaps" leader election resource lock type is no longer supported (line 6)`,
    ],
    [
      "negative batch size",
      `${MINIMAL}entry_batch_size = -1`,
      `${PATH}: entry_batch_size: expected a number from 1 to 1000, got -1 (line 4)`,
    ],
    [
      "port out of range",
      `${MINIMAL}webhook_port = 70000`,
      `${PATH}: webhook_port: expected a port number, got 70000 (line 4)`,
    ],
  ])("%s", (_name, text, message) => {
    expect(errors(text)).toEqual([message]);
  });

  it("accepts the configmaps lock when leader election is off", () => {
    expect(
      ok(`${MINIMAL}mode = "crd"\nleader_election_resource_lock = "configmaps"\n`).config.leaderElection,
    ).toBe(false);
  });

  it("counts an empty context block as present, but still needs the referenced key", () => {
    expect(
      ok(`${MINIMAL}identity_template = "r/{{.Context.r}}"\ncontext {\n r = "eu"\n}\n`).config.context,
    ).toEqual({
      r: "eu",
    });
    // The original rendered "<no value>" at run time; here the missing key is a config error.
    expect(errors(`${MINIMAL}identity_template = "r/{{.Context.r}}"\ncontext {\n}\n`)).toEqual([
      `${PATH}: identity_template: parsing identity template: context has no key "r" in template "r/{{.Context.r}}" (line 4)`,
    ]);
  });

  it("reports every failing check in the original's order", () => {
    expect(errors('mode = "x"\npod_label = "L"\npod_annotation = "A"\n')).toEqual([
      `${COMMON}server_address or server_socket_path must be specified`,
      `${COMMON}trust_domain must be specified`,
      `${COMMON}cluster must be specified`,
      `${COMMON}workload registration mode specification is incorrect, can't specify both pod_label and pod_annotation (line 3)`,
      `${COMMON}invalid mode "x", valid values are crd, webhook, reconcile and cluster-spiffeid (line 1)`,
    ]);
  });

  it("reports a missing file by name, and where the name came from", () => {
    const path = join(tmpdir(), "does-not-exist.conf");
    expect(loadConfig(path)).toEqual({
      ok: false,
      error: [
        `${path}: unable to load configuration: no such file (the file is the one -config names, else REGISTRAR_CONFIG, else k8s-workload-registrar.conf in the working directory)`,
      ],
    });
  });

  it("reports a directory given as the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "registrar-config-"));
    expect(loadConfig(dir)).toMatchObject({
      ok: false,
      error: [expect.stringContaining(`${dir}: unable to load configuration: it is a directory (`)],
    });
  });

  it("loads a file from disk", () => {
    const file = join(mkdtempSync(join(tmpdir(), "registrar-config-")), "registrar.conf");
    writeFileSync(file, MINIMAL);
    const result = loadConfig(file);
    expect(result.ok && result.value.config.cluster).toBe("CLUSTER");
  });
});

describe("decoding beyond the original", () => {
  it("warns about an unknown key with its line and the closest known key", () => {
    const { warnings } = ok(`${MINIMAL}mode = "crd"\nadd_svc_dns_names = true\n`);
    expect(warnings).toEqual([
      `${PATH}: unknown key "add_svc_dns_names" (line 5); did you mean "add_svc_dns_name"?`,
    ]);
  });

  it("gives the unknown-key warnings with the errors, since a misspelt key often explains one", () => {
    const text = 'trust_domain = "example.org"\ncluster = "C"\nserver_socket_pth = "S"\n';
    expect(errors(text)).toEqual([
      `${PATH}: error parsing common config: server_address or server_socket_path must be specified`,
      `${PATH}: unknown key "server_socket_pth" (line 3); did you mean "server_socket_path"?`,
    ]);
  });

  it("hints at the bare name for a trust domain written as a SPIFFE ID", () => {
    expect(
      errors('trust_domain = "spiffe://example.org"\ncluster = "C"\nserver_socket_path = "S"\n'),
    ).toEqual([
      expect.stringMatching(/malformed trust domain: .*; write the bare name: trust_domain = "example.org"$/),
    ]);
  });

  it("warns without a suggestion when no key is close", () => {
    expect(ok(`${MINIMAL}completely_unrelated = 1\n`).warnings).toEqual([
      `${PATH}: unknown key "completely_unrelated" (line 4)`,
    ]);
  });

  it("matches keys case-insensitively", () => {
    const { config, warnings } = ok(
      'Trust_Domain = "domain.test"\nCLUSTER = "C"\nServer_Socket_Path = "S"\n',
    );
    expect([config.trustDomain, config.cluster, config.serverAddress, warnings]).toEqual([
      "domain.test",
      "C",
      "unix://S",
      [],
    ]);
  });

  it.each([
    ['"true"', true],
    ['"1"', true],
    ["1", true],
    ['"0"', false],
    ['"false"', false],
  ])("accepts %s as a boolean", (value, expected) => {
    expect(ok(`${MINIMAL}leader_election = ${value}\n`).config.leaderElection).toBe(expected);
  });

  it("accepts quoted numbers and numbers for strings", () => {
    const { config } = ok(`${MINIMAL}webhook_port = "9444"\npod_label = 42\n`);
    expect([config.webhookPort, config.podLabel]).toEqual([9444, "42"]);
  });

  it.each([
    [
      "webhook_port",
      '"abc"',
      'unable to decode configuration: webhook_port: expected a number, got "abc" (line 4)',
    ],
    [
      "webhook_port",
      "1.5",
      "unable to decode configuration: webhook_port: expected a number, got 1.5 (line 4)",
    ],
    [
      "leader_election",
      '"yes"',
      'unable to decode configuration: leader_election: expected a boolean, got "yes" (line 4)',
    ],
    [
      "disabled_namespaces",
      '"kube-system"',
      'error parsing common config: unable to decode configuration: disabled_namespaces: expected a list of strings, got "kube-system" (line 4)',
    ],
    [
      "cluster_dns_zone",
      '["a"]',
      'unable to decode configuration: cluster_dns_zone: expected a string, got ["a"] (line 4)',
    ],
    [
      "spire_timeout",
      '"5"',
      'error parsing common config: unable to decode configuration: spire_timeout: expected a duration like "5s", got "5" (line 4)',
    ],
    [
      "context",
      '"x"',
      'unable to decode configuration: context: expected a block of string values, got "x" (line 4)',
    ],
  ])("rejects %s = %s naming key, type and line", (key, value, message) => {
    expect(errors(`${MINIMAL}${key} = ${value}\n`)).toEqual([`${PATH}: ${message}`]);
  });

  it("rejects a repeated key naming both lines, case-insensitively", () => {
    const text = `${MINIMAL}identity_template = "A"\nmode = "crd"\nIdentity_Template = "IDENTITYTEMPLATE"\n`;
    expect(errors(text)).toEqual([
      `${PATH}: error parsing common config: unable to decode configuration: key "identity_template" is repeated on lines 4 and 6`,
    ]);
  });

  it("rejects a repeated context block", () => {
    expect(errors(`${MINIMAL}context {\n a = "b"\n}\ncontext {\n c = "d"\n}\n`)).toEqual([
      `${PATH}: error parsing common config: unable to decode configuration: key "context" is repeated on lines 4 and 7`,
    ]);
  });

  it.each([
    ["INVALID", "INVALID", 1, 'expected "key = value" or a block, got "INVALID"'],
    [
      "an unterminated string",
      `${MINIMAL}a = 1\nb = 2\nc = 3\ncluster = "a\n`,
      7,
      'unterminated string (in "cluster")',
    ],
    ["an unclosed block", `${MINIMAL}context {\n a = "b"\n`, 4, '"{" is never closed (in "context")'],
    ["a stray closer", `${MINIMAL}}\n`, 4, 'unexpected "}"'],
    ["a missing value", `${MINIMAL}cluster =\n`, 4, 'missing value for "cluster"'],
    [
      "an unclosed list",
      `${MINIMAL}disabled_namespaces = ["a",\n`,
      4,
      '"[" is never closed (in "disabled_namespaces")',
    ],
  ])("reports %s with its line", (_name, text, line, reason) => {
    expect(errors(text)).toEqual([
      `${PATH}: error parsing common config: unable to decode configuration: line ${line}: ${reason}`,
    ]);
  });

  it("reads hexadecimal numbers as the original did", () => {
    expect(ok(`${MINIMAL}webhook_port = 0x24FB\n`).config.webhookPort).toBe(9467);
  });

  it("refuses a number with a leading zero, which the original read as octal", () => {
    expect(errors(`${MINIMAL}webhook_port = 09443\n`)).toEqual([
      `${PATH}: error parsing common config: unable to decode configuration: line 4: ambiguous number "09443": HCL v1 read a leading 0 as octal; write it without the 0 (in "webhook_port")`,
    ]);
  });
});

describe("the JSON form", () => {
  const JSON_MINIMAL =
    '{\n  "trust_domain": "domain.test",\n  "cluster": "CLUSTER",\n  "server_socket_path": "SOCKETPATH"';

  it("takes event_ack processed or accepted, and names the line of anything else", () => {
    expect(ok(`${JSON_MINIMAL},\n"event_ack": "accepted"\n}`).config.eventAck).toBe("accepted");
    expect(errors(`${JSON_MINIMAL},\n"event_ack": "later"\n}`)).toEqual([
      `${PATH}: event_ack: expected one of "processed", "accepted", got "later" (line 5)`,
    ]);
  });

  it("takes endpoints_source endpointslices or endpoints, and names the line of anything else", () => {
    expect(ok(`${MINIMAL}mode = "reconcile"\n`).config.endpointsSource).toBe("endpointslices");
    expect(ok(`${JSON_MINIMAL},\n"endpoints_source": "endpoints"\n}`).config.endpointsSource).toBe(
      "endpoints",
    );
    expect(errors(`${JSON_MINIMAL},\n"endpoints_source": "EndpointSlices"\n}`)).toEqual([
      `${PATH}: endpoints_source: expected one of "endpointslices", "endpoints", got "EndpointSlices" (line 5)`,
    ]);
  });

  it("gives the same config as HCL", () => {
    const result = parseConfig(`${JSON_MINIMAL}\n}\n`, PATH);
    expect(result).toEqual({ ok: true, value: { config: WEBHOOK_DEFAULTS, warnings: [] } });
  });

  it("accepts a context object or a block array", () => {
    const object = ok(`${JSON_MINIMAL},\n"context": {"a": "b"}\n}`).config.context;
    const blocks = ok(`${JSON_MINIMAL},\n"context": [{"a": "b"}]\n}`).config.context;
    expect([object, blocks]).toEqual([{ a: "b" }, { a: "b" }]);
  });

  it("reports repeated and unknown keys with lines", () => {
    expect(errors(`${JSON_MINIMAL},\n  "Cluster": "X"\n}`)).toEqual([
      `${PATH}: error parsing common config: unable to decode configuration: key "cluster" is repeated on lines 3 and 5`,
    ]);
    expect(ok(`${JSON_MINIMAL},\n  "clustr": "X"\n}`).warnings).toEqual([
      `${PATH}: unknown key "clustr" (line 5); did you mean "cluster"?`,
    ]);
  });

  it("reports invalid JSON as a decode error", () => {
    expect(errors('{\n"a": 1,\n}')).toEqual([
      expect.stringMatching(/unable to decode configuration: .*invalid JSON/),
    ]);
  });
});

describe("the result", () => {
  it("is frozen", () => {
    const { config } = ok(MINIMAL);
    expect(
      Object.isFrozen(config) &&
        Object.isFrozen(config.disabledNamespaces) &&
        Object.isFrozen(config.context),
    ).toBe(true);
  });

  it("prints as snake_case keys with every default", () => {
    const json = configToJson(ok(MINIMAL).config);
    expect(Object.keys(json)).toEqual(CONFIG_KEYS.map((spec) => spec.key));
    expect(json).toMatchObject({
      trust_domain: "domain.test",
      server_address: "unix://SOCKETPATH",
      spire_timeout: "5s",
    });
  });

  it("round-trips through its own JSON output", () => {
    // An absolute socket path: the unix:// address derived from it must be valid when read back.
    const text = MINIMAL.replace('"SOCKETPATH"', '"/run/spire/api.sock"');
    const { config } = ok(`${text}mode = "crd"\ncontext {\n a = "b"\n}\n`);
    expect(ok(JSON.stringify(configToJson(config))).config).toEqual(config);
  });
});

describe("values the planner cannot build IDs from", () => {
  it.each([
    [
      "a cluster with a slash",
      'cluster = "a/b"',
      `${PATH}: cluster: not usable in a SPIFFE ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores (line 3)`,
    ],
    [
      "a controller name with a space (reconcile)",
      'cluster = "c"\nmode = "reconcile"\ncontroller_name = "my registrar"',
      `${PATH}: controller_name: not usable in a SPIFFE ID: path segment characters are limited to letters, numbers, dots, dashes, and underscores`,
    ],
    [
      "an identity template with an unknown field",
      'cluster = "c"\nmode = "crd"\nidentity_template = "ns/{{.Pod.Nope}}"',
      `${PATH}: identity_template: `,
    ],
    [
      "an identity template under SPIRE's reserved /spire path",
      'cluster = "c"\nidentity_template = "spire/{{.Pod.Name}}"',
      `${PATH}: identity_template: validating identity template: the /spire path is reserved for SPIRE's agents and servers (line 4)`,
    ],
  ])("rejects %s", (_name, keys, message) => {
    const text = `trust_domain = "domain.test"\nserver_socket_path = "S"\n${keys}\n`;
    const all = errors(text.replace(/^cluster = "CLUSTER"\n/m, ""));
    expect(all.some((m) => m.startsWith(message))).toBe(true);
  });
});

describe("bounds, addresses and enumerated values (each error names the file, the key and the line)", () => {
  it.each([
    ["600h", "over 2^31-1 ms, which Node's timers turn into 1 ms"],
    ["1ns", "below 100 ms"],
    ["99ms", "just below 100 ms"],
    ["10m1s", "just over 10 min"],
  ])("refuses spire_timeout = %s (%s)", (value) => {
    expect(errors(`${MINIMAL}spire_timeout = "${value}"\n`)).toEqual([
      `${PATH}: spire_timeout: expected a duration between 100ms and 10m, got "${value}" (line 4)`,
    ]);
  });

  it.each([["100ms"], ["10m"], ["1m30s"]])("accepts spire_timeout = %s", (value) => {
    expect(ok(`${MINIMAL}spire_timeout = "${value}"\n`).config.spireTimeout).toBe(value);
  });

  it.each([
    ["addr", "127.0.0.1:99999"],
    ["addr", ":-5"],
    ["addr", "garbage"],
    ["addr", ":0"],
    ["addr", "host:"],
    ["metrics_addr", "true"],
    ["metrics_addr", "127.0.0.1"],
    ["metrics_bind_addr", "addr"],
  ])("refuses the listen address %s = %j", (key, value) => {
    expect(errors(`${MINIMAL}${key} = ${JSON.stringify(value)}\n`)).toEqual([
      `${PATH}: ${key}: expected host:port or :port with a port from 1 to 65535, got ${JSON.stringify(value)} (line 4)`,
    ]);
  });

  it.each([
    ["addr", ":8443"],
    ["addr", "0.0.0.0:443"],
    ["addr", "[::1]:8443"],
    ["metrics_addr", "localhost:8080"],
    ["metrics_addr", "0"],
    ["metrics_bind_addr", "0"],
  ])("accepts the listen address %s = %j", (key, value) => {
    expect(ok(`${MINIMAL}${key} = ${JSON.stringify(value)}\n`).warnings).toEqual([]);
  });

  it.each([["spire:99999"], ["spire"], [":8081"], ["unix://relative.sock"]])(
    "refuses server_address = %j",
    (value) => {
      const [message] = errors(
        `${MINIMAL}server_address = ${JSON.stringify(value)}\nagent_socket_path = "/a"\n`,
      );
      expect(message).toMatch(
        new RegExp(`^${PATH}: server_address: expected .*, got "${value}" \\(line 4\\)$`),
      );
    },
  );

  it.each([["spire-server.spire:8081"], ["dns:///spire:8081"], ["unix:///run/spire/api.sock"]])(
    "accepts server_address = %j",
    (value) => {
      expect(
        ok(`${MINIMAL}server_address = ${JSON.stringify(value)}\nagent_socket_path = "/a"\n`).config
          .serverAddress,
      ).toBe(value);
    },
  );

  it("refuses a leader_election_resource_lock that is not a lock type, naming the values", () => {
    expect(errors(`${MINIMAL}leader_election_resource_lock = "garbage"\n`)).toEqual([
      `${PATH}: leader_election_resource_lock: expected one of "leases", "endpointsleases", "configmapsleases", "endpoints", "configmaps", got "garbage" (line 4)`,
    ]);
  });

  it("bounds max_request_bytes and numbers, naming the line", () => {
    expect(errors(`${MINIMAL}max_request_bytes = 10\nentry_concurrency = 100000\n`)).toEqual([
      `${PATH}: entry_concurrency: expected a number from 1 to 64, got 100000 (line 5)`,
      `${PATH}: max_request_bytes: expected a number from 1024 to 67108864, got 10 (line 4)`,
    ]);
    expect(ok(`${MINIMAL}max_request_bytes = 1048576\n`).config.maxRequestBytes).toBe(1_048_576);
  });

  it("names the line of the original's checks too", () => {
    expect(errors(`${MINIMAL}\n\nmode = "crdx"\n`)).toEqual([
      `${PATH}: error parsing common config: invalid mode "crdx", valid values are crd, webhook, reconcile and cluster-spiffeid (line 6)`,
    ]);
  });
});
