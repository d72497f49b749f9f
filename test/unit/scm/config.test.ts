import { describe, expect, it } from "vitest";
import {
  clusterDomainFromCname,
  DEFAULT_IGNORE_NAMESPACES,
  expandEnv,
  parseScmConfig,
} from "../../../lib/scm/config.js";

const HEADER = "apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\n";
const MINIMAL = `${HEADER}clusterName: cluster1\ntrustDomain: cluster1.demo\n`;

function parse(text: string) {
  const parsed = parseScmConfig(text);
  if (!parsed.ok) throw new Error(parsed.error.join("\n"));
  return parsed.value;
}

function errors(text: string): string[] {
  const parsed = parseScmConfig(text);
  return parsed.ok ? [] : parsed.error;
}

describe("ControllerManagerConfig defaults (scm-model §1)", () => {
  it("fills SCM's defaults", () => {
    const { config, warnings } = parse(MINIMAL);
    expect(warnings).toEqual([]);
    expect(config).toMatchObject({
      trustDomain: "cluster1.demo",
      clusterName: "cluster1",
      clusterDomain: "",
      ignoreNamespaces: DEFAULT_IGNORE_NAMESPACES,
      validatingWebhookConfigurationName: "spire-controller-manager-webhook",
      gcIntervalNanoseconds: 10_000_000_000n,
      spireServerSocketPath: "/spire-server/api.sock",
      logLevel: "info",
      logEncoding: "console",
      className: "",
      watchClassless: false,
      reconcile: { clusterSPIFFEIDs: true, clusterFederatedTrustDomains: true, clusterStaticEntries: true },
      entryIdPrefix: "",
      entryIdPrefixCleanup: undefined,
      enableEntryRenderCache: false,
      entryRenderCacheSize: 300_000,
    });
    expect(config.parentIdTemplate.name).toBe("defaultParentIDTemplate");
  });

  it("reads SCM's demo config (ignoreNamespaces replaces the default list)", () => {
    const { config } = parse(
      `${MINIMAL}ignoreNamespaces: [kube-system, kube-public, spire-system, local-path-storage]\n`,
    );
    expect(config.ignoreNamespaces).toEqual([
      "kube-system",
      "kube-public",
      "spire-system",
      "local-path-storage",
    ]);
    expect(config.ignoreNamespaceRegexps.map((regexp) => regexp.test("my-kube-system-2"))).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it("gcInterval is integer nanoseconds; a duration string is refused with the hint", () => {
    expect(parse(`${MINIMAL}gcInterval: 30000000000\n`).config.gcIntervalNanoseconds).toBe(30_000_000_000n);
    expect(errors(`${MINIMAL}gcInterval: 10s\n`)).toEqual([
      'gcInterval must be an integer number of nanoseconds (SCM\'s decoder reads no duration strings; 10s is 10000000000), not "10s"',
    ]);
    expect(parse(`${MINIMAL}gcInterval: 0\n`).warnings).toEqual([
      "gcInterval 0 makes SCM v0.6.6 reconcile without pause (later versions use 10s)",
    ]);
  });

  it("a reconcile block is taken literally; static mode turns ClusterSPIFFEIDs off by default", () => {
    expect(parse(`${MINIMAL}reconcile:\n  clusterStaticEntries: true\n`).config.reconcile).toEqual({
      clusterSPIFFEIDs: false,
      clusterFederatedTrustDomains: false,
      clusterStaticEntries: true,
    });
    expect(parse(`${MINIMAL}staticManifestPath: /manifests\n`).config.reconcile).toEqual({
      clusterSPIFFEIDs: false,
      clusterFederatedTrustDomains: true,
      clusterStaticEntries: true,
    });
  });

  it("entryIDPrefix and entryIDPrefixCleanup get their dot; unset and empty cleanup differ", () => {
    expect(parse(`${MINIMAL}entryIDPrefix: cluster1\n`).config.entryIdPrefix).toBe("cluster1.");
    expect(parse(`${MINIMAL}entryIDPrefix: cluster1.\n`).config.entryIdPrefix).toBe("cluster1.");
    expect(parse(`${MINIMAL}entryIDPrefix: a\nentryIDPrefixCleanup: ""\n`).config.entryIdPrefixCleanup).toBe(
      "",
    );
    expect(parse(`${MINIMAL}entryIDPrefix: a\nentryIDPrefixCleanup: old\n`).config.entryIdPrefixCleanup).toBe(
      "old.",
    );
    expect(parse(`${MINIMAL}entryIDPrefix: a\n`).config.entryIdPrefixCleanup).toBeUndefined();
  });

  it("normalises a trust domain given as an ID, and reads YAML 1.1 booleans as Kubernetes' YAML does", () => {
    const { config } = parse(
      `${HEADER}clusterName: c\ntrustDomain: spiffe://example.org\nwatchClassless: yes\n`,
    );
    expect(config.trustDomain).toBe("example.org");
    expect(config.watchClassless).toBe(true);
  });

  it("a custom parentIDTemplate is parsed under SCM's name", () => {
    const { config } = parse(
      `${MINIMAL}parentIDTemplate: "spiffe://{{ .TrustDomain }}/spire/agent/x509pop/{{ .NodeMeta.Name }}"\n`,
    );
    expect(config.parentIdTemplate.name).toBe("customParentIDTemplate");
  });

  it("warns about unknown keys with the closest known one", () => {
    expect(parse(`${MINIMAL}clustreName: x\nreconcile:\n  clusterSpiffeIds: true\n`).warnings).toEqual([
      "unknown key clustreName (SCM ignores it); did you mean clusterName?",
      "unknown key reconcile.clusterSpiffeIds (SCM ignores it); did you mean reconcile.clusterSPIFFEIDs?",
    ]);
  });
});

describe("ControllerManagerConfig errors (SCM's start-up errors, naming the key)", () => {
  it.each([
    [
      `${HEADER.replace("spire.spiffe.io/v1alpha1", "v1")}clusterName: c\ntrustDomain: t\n`,
      'apiVersion must be spire.spiffe.io/v1alpha1, not "v1"',
    ],
    [
      "apiVersion: spire.spiffe.io/v1alpha1\nclusterName: c\ntrustDomain: t\n",
      'kind must be ControllerManagerConfig, not ""',
    ],
    [`${HEADER}clusterName: c\n`, "trustDomain: trust domain is required configuration"],
    [`${HEADER}trustDomain: t\n`, "clusterName: cluster name is required configuration"],
    [
      `${MINIMAL}validatingWebhookConfigurationName: ""\n`,
      "validatingWebhookConfigurationName: validating webhook configuration name is required configuration",
    ],
    [
      `${HEADER}clusterName: c\ntrustDomain: Bad!\n`,
      "trustDomain: invalid trust domain name: trust domain characters are limited to lowercase letters, numbers, dots, dashes, and underscores",
    ],
    [
      `${MINIMAL}ignoreNamespaces: ["kube-(system"]\n`,
      "ignoreNamespaces: unable to compile ignore namespaces regex: error parsing regexp: missing closing ): `kube-(system`",
    ],
    [`${MINIMAL}logLevel: verbose\n`, 'logLevel: unable to parse log level: invalid log level: "verbose"'],
    [`${MINIMAL}logEncoding: text\n`, "logEncoding: unrecognized log encoding: text"],
    [
      `${MINIMAL}parentIDTemplate: "{{ .Nope"\n`,
      "parentIDTemplate: unable to parse parent ID template: template: customParentIDTemplate:1: unclosed action",
    ],
    [
      `${MINIMAL}staticManifestPath: /m\nreconcile:\n  clusterSPIFFEIDs: true\n`,
      "reconcile.clusterSPIFFEIDs: ClusterSPIFFEID reconciliation is not possible with static manifests",
    ],
    [
      `${MINIMAL}staticManifestPath: /m\nleaderElection:\n  leaderElect: true\n`,
      "leaderElection: the Leader election is not possible with static manifests",
    ],
    [
      `${MINIMAL}entryIDPrefix: a\nentryIDPrefixCleanup: a.\n`,
      "entryIDPrefixCleanup: if entryIDPrefixCleanup is specified, it can not be the same value as entryIDPrefix",
    ],
    [
      `${MINIMAL}cacheNamespace: a\ncacheNamespaces:\n  b: {}\n`,
      "cacheNamespace or cacheNamespaces can be used, but not both",
    ],
  ])("%#", (text, message) => {
    expect(errors(text)).toEqual([message]);
  });

  it("reports every value of the wrong type at once", () => {
    expect(
      errors(
        `${MINIMAL}watchClassless: maybe\nignoreNamespaces: kube-system\nreconcile:\n  clusterStaticEntries: 1\nsyncPeriod: 10x\n`,
      ),
    ).toEqual([
      'watchClassless must be true or false, not "maybe"',
      'ignoreNamespaces must be a list of strings, not "kube-system"',
      "reconcile.clusterStaticEntries must be true or false, not 1",
      'syncPeriod: time: unknown unit "x" in duration "10x"',
    ]);
  });
});

describe("expandEnv (Go's os.ExpandEnv)", () => {
  const braced = (text: string): string => text.replaceAll("@{", "${");
  it.each([
    ["trustDomain: $TD", "trustDomain: example.org"],
    [braced("trustDomain: @{TD}"), "trustDomain: example.org"],
    ["a: $UNSET.", "a: ."],
    ["a: $", "a: $"],
    ["a: $-x", "a: x"],
    [braced("a: @{}b"), "a: b"],
    [braced("a: @{TD"), "a: TD"],
    ["a: 5$ and $1", "a: 5$ and "],
    ["a: $$", "a: "],
  ])("%j", (text, expected) => {
    expect(expandEnv(text, { TD: "example.org" })).toBe(expected);
  });
});

describe("clusterDomainFromCname (SCM's parseClusterDomainCNAME cases)", () => {
  it.each([
    ["kubernetes.default.svc.cluster.local.", { ok: true, value: "cluster.local" }],
    ["kubernetes.default.svc.cluster2.local", { ok: true, value: "cluster2.local" }],
    ["test.cluster.local", { ok: false, error: "CNAME did not have expected prefix" }],
    ["kubernetes.default.svc.", { ok: false, error: "CNAME did not have a cluster domain" }],
    ["kubernetes.default.svc", { ok: false, error: "CNAME did not have expected prefix" }],
  ])("%s", (cname, expected) => {
    expect(clusterDomainFromCname(cname)).toEqual(expected);
  });
});
