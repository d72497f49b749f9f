/**
 * cluster-spiffeid mode's manifests, checked on the files themselves: the three CRDs of
 * spire-controller-manager (SCM v0.6.6) in knative/base/cluster-spiffeid, and the registrar.conf of
 * knative/overlays/cluster-spiffeid and deploy/overlays/cluster-spiffeid. The rendered overlays,
 * the CRDs' schemas against SCM's own and against a real kube-apiserver, and the RBAC against the
 * calls the functions make are checked in test/e2e/deploy-manifests.test.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { CONFIG_KEYS } from "../../../lib/config/keys.js";
import { loadConfig } from "../../../lib/config/parse-config.js";
import { readSource } from "../../../lib/config/read-source.js";
import { parseScmConfig } from "../../../lib/scm/config.js";
import { loadManifests, type Manifest, REPO } from "./manifest-files.js";

interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: object };
  additionalPrinterColumns?: { name: string; type: string; jsonPath: string }[];
  schema: { openAPIV3Schema: Schema };
}
interface Schema {
  type?: string;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  pattern?: string;
  enum?: string[];
}

const crds = loadManifests("knative/base/cluster-spiffeid").filter(
  (m) => m.kind === "CustomResourceDefinition",
);
const crd = (plural: string): Manifest => {
  const found = crds.find((c) => c.metadata.name === `${plural}.spire.spiffe.io`);
  if (found === undefined) throw new Error(`no CRD ${plural}.spire.spiffe.io`);
  return found;
};
const versionOf = (m: Manifest) => {
  const spec = m.spec as { versions: CrdVersion[] };
  expect(spec.versions).toHaveLength(1);
  return spec.versions[0] as CrdVersion;
};
const specSchema = (plural: string) =>
  versionOf(crd(plural)).schema.openAPIV3Schema.properties?.spec as Schema;

describe("spire-controller-manager's CRDs", () => {
  it("are the three cluster-scoped kinds of spire.spiffe.io/v1alpha1, each with a status subresource", () => {
    expect(
      crds
        .map((c) => {
          const spec = c.spec as { group: string; scope: string; names: Record<string, string> };
          return `${spec.group} ${spec.scope} ${spec.names.kind} ${spec.names.listKind} ${spec.names.plural} ${spec.names.singular}`;
        })
        .sort(),
    ).toEqual([
      "spire.spiffe.io Cluster ClusterFederatedTrustDomain ClusterFederatedTrustDomainList clusterfederatedtrustdomains clusterfederatedtrustdomain",
      "spire.spiffe.io Cluster ClusterSPIFFEID ClusterSPIFFEIDList clusterspiffeids clusterspiffeid",
      "spire.spiffe.io Cluster ClusterStaticEntry ClusterStaticEntryList clusterstaticentries clusterstaticentry",
    ]);
    for (const c of crds) {
      const version = versionOf(c);
      expect(version).toMatchObject({ name: "v1alpha1", served: true, storage: true });
      expect(version.subresources).toEqual({ status: {} });
      expect(version.schema.openAPIV3Schema.required?.sort()).toEqual(["metadata", "spec"]);
    }
  });

  it("require the fields SCM's types require", () => {
    expect(specSchema("clusterspiffeids").required).toEqual(["spiffeIDTemplate"]);
    expect(specSchema("clusterstaticentries").required?.sort()).toEqual([
      "parentID",
      "selectors",
      "spiffeID",
    ]);
    expect(specSchema("clusterfederatedtrustdomains").required?.sort()).toEqual([
      "bundleEndpointProfile",
      "bundleEndpointURL",
      "trustDomain",
    ]);
    const staticStatus = versionOf(crd("clusterstaticentries")).schema.openAPIV3Schema.properties?.status;
    expect(staticStatus?.required?.sort()).toEqual(["masked", "rendered", "set"]);
  });

  it("spell the fields as SCM's JSON does (jwtTtl, x509SVIDTTL, autoPopulateDNSNames, ...)", () => {
    expect(Object.keys(specSchema("clusterspiffeids").properties ?? {}).sort()).toEqual(
      [
        "admin",
        "autoPopulateDNSNames",
        "className",
        "dnsNameTemplates",
        "downstream",
        "fallback",
        "federatesWith",
        "hint",
        "jwtTtl",
        "namespaceSelector",
        "podSelector",
        "spiffeIDTemplate",
        "ttl",
        "workloadSelectorTemplates",
      ].sort(),
    );
    expect(Object.keys(specSchema("clusterstaticentries").properties ?? {}).sort()).toEqual(
      [
        "admin",
        "className",
        "dnsNames",
        "downstream",
        "federatesWith",
        "hint",
        "jwtSVIDTTL",
        "parentID",
        "selectors",
        "spiffeID",
        "storeSVID",
        "x509SVIDTTL",
      ].sort(),
    );
    const stats = versionOf(crd("clusterspiffeids")).schema.openAPIV3Schema.properties?.status?.properties
      ?.stats?.properties;
    expect(Object.keys(stats ?? {}).sort()).toEqual(
      [
        "entriesMasked",
        "entriesToSet",
        "entryFailures",
        "namespacesIgnored",
        "namespacesSelected",
        "podEntryRenderFailures",
        "podsSelected",
      ].sort(),
    );
  });

  it("keep SCM's unanchored trustDomain pattern, its profile enum and its printer columns", () => {
    const spec = specSchema("clusterfederatedtrustdomains");
    expect(spec.properties?.trustDomain?.pattern).toBe("[a-z0-9._-]{1,255}");
    expect(spec.properties?.bundleEndpointProfile?.properties?.type?.enum).toEqual([
      "https_spiffe",
      "https_web",
    ]);
    expect(versionOf(crd("clusterfederatedtrustdomains")).additionalPrinterColumns).toEqual([
      { name: "Trust Domain", type: "string", jsonPath: ".spec.trustDomain" },
      { name: "Endpoint URL", type: "string", jsonPath: ".spec.bundleEndpointURL" },
    ]);
    expect(versionOf(crd("clusterspiffeids")).additionalPrinterColumns).toBeUndefined();
    expect(versionOf(crd("clusterstaticentries")).additionalPrinterColumns).toBeUndefined();
  });
});

/** The mode's keys: SCM's ControllerManagerConfig keys in snake_case (the brief of the mode). */
const SCM_KEYS: Readonly<Record<string, string>> = {
  trust_domain: "trustDomain",
  cluster: "clusterName",
  cluster_domain: "clusterDomain",
  ignore_namespaces: "ignoreNamespaces",
  class_name: "className",
  watch_classless: "watchClassless",
  parent_id_template: "parentIDTemplate",
  entry_id_prefix: "entryIDPrefix",
  entry_id_prefix_cleanup: "entryIDPrefixCleanup",
};

for (const form of ["knative", "deploy"] as const) {
  describe(`${form}/overlays/cluster-spiffeid/registrar.conf`, () => {
    const path = join(REPO, form, "overlays/cluster-spiffeid/registrar.conf");
    const source = readSource(readFileSync(path, "utf8"));
    if (!source.ok) throw new Error(`${path}: ${source.error}`);
    const values = source.value.values;

    it('sets mode = "cluster-spiffeid" and only keys the registrar or the mode knows', () => {
      expect(values.mode).toBe("cluster-spiffeid");
      const known = new Set([...CONFIG_KEYS.map((spec) => spec.key), ...Object.keys(SCM_KEYS)]);
      expect(Object.keys(values).filter((key) => !known.has(key))).toEqual([]);
    });

    it("is a ControllerManagerConfig spire-controller-manager would accept, without warnings", () => {
      const scm: Record<string, unknown> = {
        apiVersion: "spire.spiffe.io/v1alpha1",
        kind: "ControllerManagerConfig",
      };
      for (const [key, scmKey] of Object.entries(SCM_KEYS))
        if (values[key] !== undefined) scm[scmKey] = values[key];
      const parsed = parseScmConfig(stringify(scm));
      if (!parsed.ok) throw new Error(parsed.error.join("\n"));
      expect(parsed.value.warnings).toEqual([]);
      // The functions' own admin entries (registrar bootstrap-entries) are not declared by any
      // resource: only a prefix keeps a pass from deleting them.
      expect(parsed.value.config.entryIdPrefix).toMatch(/^[A-Za-z0-9_-][A-Za-z0-9._-]*\.$/);
      expect(parsed.value.config.entryIdPrefixCleanup).toBeUndefined();
      // SPIRE's namespace is ignored, exactly (the patterns are unanchored regexes)
      expect(parsed.value.config.ignoreNamespaceRegexps.filter((r) => r.test("spire"))).toHaveLength(1);
      expect(parsed.value.config.ignoreNamespaceRegexps.some((r) => r.test("spire-demo"))).toBe(false);
    });

    it("reaches SPIRE through the agent's socket on the CSI volume, and takes the Lease the RBAC names", () => {
      expect(values.agent_socket_path).toMatch(/^\/spiffe-workload-api\//);
      expect(values.server_address).toBe("spire-server.spire.svc:8081");
      expect(values.leader_election).toBe(true);
      const controllerName =
        values.controller_name ?? CONFIG_KEYS.find((spec) => spec.key === "controller_name")?.default;
      expect(`${controllerName}-leader-election`).toBe("spire-k8s-registrar-leader-election");
      if (form === "knative") expect(values.event_ack).toBe("accepted");
    });

    it("loads warning-free with lib/config", () => {
      const loaded = loadConfig(path);
      if (!loaded.ok) throw new Error(loaded.error.join("\n"));
      expect(loaded.value.warnings).toEqual([]);
      expect(loaded.value.config.mode).toBe("cluster-spiffeid");
    });
  });
}
