/**
 * Valid HCL configs of the project: the Knative overlays' files and the ```hcl blocks of the
 * README and docs (read from disk, so new ones join by themselves), and the HCL texts the test
 * suites feed to the config loader (collected here by hand, with where they come from).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const MINIMAL = 'trust_domain = "domain.test"\ncluster = "CLUSTER"\nserver_socket_path = "SOCKETPATH"\n';
const SOCKET =
  'trust_domain = "domain.test"\ncluster = "CLUSTER"\nserver_socket_path = "/run/spire/sockets/registration.sock"\n';

/** `name` and text of every valid config in the corpus. */
export function hclCorpus(): [string, string][] {
  return [...fileConfigs(), ...documentedConfigs(), ...TEST_CONFIGS];
}

function fileConfigs(): [string, string][] {
  const overlays = join("knative", "overlays");
  return readdirSync(overlays).map((overlay) => {
    const path = join(overlays, overlay, "registrar.conf");
    return [path, readFileSync(path, "utf8")];
  });
}

/** Fenced ```hcl blocks of README.md and docs/*.md. */
function documentedConfigs(): [string, string][] {
  const files = ["README.md", ...readdirSync("docs").map((name) => join("docs", name))];
  return files
    .filter((file) => file.endsWith(".md"))
    .flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/```hcl\n([\s\S]*?)```/g)].map(
        (match, index): [string, string] => [`${file} block ${index + 1}`, match[1] as string],
      ),
    );
}

const TEST_CONFIGS: [string, string][] = [
  ["parse-config.test.ts minimal", MINIMAL],
  ["parse-config.test.ts reconcile", `${MINIMAL}mode = "reconcile"\n`],
  ["parse-config.test.ts crd", `${MINIMAL}mode = "crd"\nidentity_template = "IDENTITYTEMPLATE"\n`],
  [
    "parse-config.test.ts webhook overrides",
    [
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
    ].join("\n"),
  ],
  [
    "parse-config.test.ts reconcile overrides",
    `${MINIMAL}mode = "reconcile"\ncontroller_name = "override"\ncluster_dns_zone = "override.local"
leader_election_resource_lock = "endpointsleases"\nmetrics_addr = ":8081"\npod_label = "L"\nlog_level = "warning"\nlog_path = "P"\n`,
  ],
  [
    "parse-config.test.ts crd overrides",
    `${MINIMAL}mode = "crd"\nidentity_template = "T"\nadd_svc_dns_name = false\nleader_election = true
metrics_bind_addr = "addr"\ndns_name_templates = ["DNSNAMETEMPLATE"]\naddr = ":1"\ncert_path = "c"\nkey_path = "k"\ncacert_path = "ca"\n`,
  ],
  [
    "parse-config.test.ts context block",
    `${MINIMAL}mode = "crd"\nidentity_template = "region/{{.Context.region}}/{{.Context.cluster_name}}"
identity_template_label = "enable_identity"\ncontext {\n  region = "EU-DE"\n  cluster_name = "MYCLUSTER"\n}\n`,
  ],
  [
    "parse-config.test.ts dns templates",
    `${MINIMAL}dns_name_templates = ["{{.Pod.Name}}.svc", "{{.Pod.ServiceAccount}}.{{.Pod.Namespace}}"]\n`,
  ],
  [
    "parse-config.test.ts new keys",
    `${MINIMAL}leader_election_namespace = "spire"\nwebhook_fail_closed = true\nspire_timeout = "1m30s"
entry_batch_size = 200\nentry_concurrency = 8\n`,
  ],
  ["parse-config.test.ts empty lists", `${MINIMAL}disabled_namespaces = []\ndns_name_templates = []\n`],
  ["parse-config.test.ts zero port", `${MINIMAL}webhook_port = 0\nentry_batch_size = 0\nlog_level = ""\n`],
  [
    "parse-config.test.ts quoted values",
    `${MINIMAL}leader_election = "true"\nwebhook_port = "9444"\npod_label = 42\n`,
  ],
  ["parse-config.test.ts negative", `${MINIMAL}entry_batch_size = -1\nwebhook_port = 70000\n`],
  ["parse-config.test.ts decimal", `${MINIMAL}webhook_port = 1.5\n`],
  ["parse-config.test.ts list value", `${MINIMAL}cluster_dns_zone = ["a"]\n`],
  ["parse-config.test.ts empty context", `${MINIMAL}identity_template = "r/{{.Context.r}}"\ncontext {\n}\n`],
  ["parse-config.test.ts two contexts", `${MINIMAL}context {\n a = "b"\n}\nkontext {\n c = "d"\n}\n`],
  ["parse-config.test.ts case", 'Trust_Domain = "domain.test"\nCLUSTER = "C"\nServer_Socket_Path = "S"\n'],
  [
    "parse-config.test.ts unknown",
    `${MINIMAL}mode = "crd"\nadd_svc_dns_names = true\ncompletely_unrelated = 1\n`,
  ],
  [
    "parse-config.test.ts remote server",
    'trust_domain = "domain.test"\ncluster = "C"\nserver_address = "spire:8081"\nagent_socket_path = "/a.sock"\n',
  ],
  ["parse-config.test.ts invalid mode", 'mode = "x"\npod_label = "L"\npod_annotation = "A"\n'],
  ["main.test.ts minimal", SOCKET],
  ["main.test.ts comment", `${SOCKET}mode = "reconcile"\nlog_level = "debug"\n# comment\n`],
  [
    "plan.test.ts reconcile",
    'mode = "reconcile"\ntrust_domain = "example.org"\ncluster = "c1"\nserver_socket_path = "/tmp/no-such.sock"\nadd_pod_dns_names = true\n',
  ],
  [
    "generate-config command.test.ts",
    'trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/run/spire/sockets/registration.sock"\n' +
      'disabled_namespaces = ["kube-system", "monitoring"]\n',
  ],
  [
    "plan-serving.test.ts",
    'trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/s"\nmode = "reconcile"\nadd_pod_dns_names = true',
  ],
  [
    "serve-watch.test.ts",
    'mode = "reconcile"\ntrust_domain = "example.org"\ncluster = "serve"\nserver_socket_path = "/tmp/s.sock"\nlog_path = "/tmp/serve.log"\nlog_level = "debug"\n',
  ],
  ["README context snippet", 'context { region = "eu" }\n'],
  ["README context object", 'context = { region = "eu" }\n'],
];
