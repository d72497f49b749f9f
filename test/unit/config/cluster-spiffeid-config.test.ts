/**
 * cluster-spiffeid mode's configuration in its two forms: the registrar's HCL keys and SCM's
 * ControllerManagerConfig file, both checked by SCM's rules with errors naming the key as written.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../lib/config/parse-config.js";

const PATH = "/etc/registrar.conf";
const HCL = `mode = "cluster-spiffeid"
trust_domain = "example.org"
cluster = "demo"
server_socket_path = "/run/spire/api.sock"
`;

function parsed(text: string) {
  const result = parseConfig(text, PATH);
  if (!result.ok) throw new Error(result.error.join("\n"));
  return result.value;
}

function errors(text: string): string[] {
  const result = parseConfig(text, PATH);
  if (result.ok) throw new Error("expected errors");
  return result.error;
}

describe("cluster-spiffeid mode in the HCL file", () => {
  it("gives SCM's settings with SCM's defaults", () => {
    const { config, warnings } = parsed(HCL);
    expect(warnings).toEqual([]);
    expect(config.mode).toBe("cluster-spiffeid");
    expect(config.clusterSpiffeId).toMatchObject({
      trustDomain: "example.org",
      clusterName: "demo",
      clusterDomain: "",
      ignoreNamespaces: ["kube-system", "kube-public", "spire-system"],
      className: "",
      watchClassless: false,
      entryIdPrefix: "",
      entryIdPrefixCleanup: undefined,
      reconcile: { clusterSPIFFEIDs: true, clusterFederatedTrustDomains: true, clusterStaticEntries: true },
    });
  });

  it("reads the mode's keys, SCM's dot after the prefixes included, and an empty cleanup prefix as written", () => {
    const { config } = parsed(
      `${HCL}cluster_domain = "cluster.local"\nclass_name = "a"\nwatch_classless = true\nentry_id_prefix = "reg"\nentry_id_prefix_cleanup = ""\nignore_namespaces = ["^kube-"]\n`,
    );
    expect(config.clusterSpiffeId).toMatchObject({
      clusterDomain: "cluster.local",
      className: "a",
      watchClassless: true,
      entryIdPrefix: "reg.",
      entryIdPrefixCleanup: "",
      ignoreNamespaces: ["^kube-"],
    });
    expect(config.clusterSpiffeId?.ignoreNamespaceRegexps.map((r) => r.test("kube-system"))).toEqual([true]);
  });

  it("names the HCL key and its line in SCM's errors", () => {
    expect(errors(`${HCL}parent_id_template = "{{ .NodeMeta.UID "\n`)).toEqual([
      `${PATH}: parent_id_template: unable to parse parent ID template: template: customParentIDTemplate:1: unclosed action (line 5)`,
    ]);
    expect(errors(`${HCL}entry_id_prefix = "a"\nentry_id_prefix_cleanup = "a"\n`)).toEqual([
      `${PATH}: entry_id_prefix_cleanup: if entryIDPrefixCleanup is specified, it can not be the same value as entryIDPrefix (line 6)`,
    ]);
    expect(errors(`${HCL}ignore_namespaces = ["("]\n`)[0]).toMatch(
      /^\/etc\/registrar.conf: ignore_namespaces: unable to compile ignore namespaces regex: /,
    );
  });
});

describe("SCM's ControllerManagerConfig file as the config", () => {
  const YAML = `apiVersion: spire.spiffe.io/v1alpha1
kind: ControllerManagerConfig
metrics:
  bindAddress: 127.0.0.1:8082
trustDomain: example.org
clusterName: demo
spireServerSocketPath: /tmp/spire-server/private/api.sock
logLevel: debug
entryIDPrefix: scm
className: spire-system-spire
`;

  it("is taken as it is: cluster-spiffeid mode, SCM's socket, log level and metrics address", () => {
    const { config, warnings } = parsed(YAML);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      mode: "cluster-spiffeid",
      trustDomain: "example.org",
      cluster: "demo",
      serverAddress: "unix:///tmp/spire-server/private/api.sock",
      logLevel: "debug",
      logFormat: "text",
      metricsAddr: "127.0.0.1:8082",
      entryIdPrefix: "scm.",
      className: "spire-system-spire",
    });
    expect(config.clusterSpiffeId).toMatchObject({ entryIdPrefix: "scm.", className: "spire-system-spire" });
  });

  it("reports SCM's start-up errors and unknown keys with the file's path", () => {
    expect(errors(YAML.replace("clusterName: demo\n", ""))).toEqual([
      `${PATH}: clusterName: cluster name is required configuration`,
    ]);
    expect(parsed(`${YAML}clustername: x\n`).warnings).toEqual([
      `${PATH}: unknown key clustername (SCM ignores it); did you mean clusterName?`,
    ]);
  });
});
