/**
 * The deployment manifests against real schemas: every overlay of knative/ and deploy/ is rendered with the
 * kustomize binary; every Knative resource (Service, ApiServerSource, PingSource) is validated with
 * the Knative CRD schemas of @kubernetes-models/knative; every other resource goes to a real
 * kube-apiserver with a server-side dry run, so its built-in validation (and the CRDs'
 * structural-schema checks) has the last word. Also rendered: the documented variants (the
 * webhook caBundle patch from `generate-config`, the server-socket component, a schedule patch, the
 * spire-server sidecar component, the PodMonitor component, the example user overlay copied out of
 * the repository, an SCM ControllerManagerConfig as cluster-spiffeid's configuration).
 * cluster-spiffeid mode's RBAC is applied for real and asked, with SubjectAccessReviews, for every
 * call its functions make (and a few they must not); its CRDs are compared with
 * spire-controller-manager's own (the optional peer's `scm-crds`) and take over from them on a
 * real API server with the same verdicts on a corpus of resources.
 */
import { execFile } from "node:child_process";
import { webcrypto } from "node:crypto";
import { accessSync, constants } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import {
  ApiextensionsV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
  type V1CustomResourceDefinition,
  type V1ResourceAttributes,
} from "@kubernetes/client-node";
// Not exported from the package root: the generated models' serializer, to type a CRD (see typedCrd).
import { ObjectSerializer } from "@kubernetes/client-node/dist/gen/models/ObjectSerializer.js";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { ApiServerSource, PingSource } from "@kubernetes-models/knative/sources.knative.dev/v1";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { generateConfig } from "../../lib/generate-config/generate-config.js";
import { resolveOptions } from "../../lib/generate-config/options.js";
import { parseScmConfig } from "../../lib/scm/config.js";
import { applyCrdObjects, readCrds } from "./harness/crds.js";
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { peersDir, requirePeers, skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs, waitUntil } from "./harness/process.js";
import { scmCrdFiles } from "./harness/scm.js";

const run = promisify(execFile);
const REPO = new URL("../..", import.meta.url).pathname;
const OVERLAYS = ["reconcile", "webhook", "crd", "cluster-spiffeid"] as const;
/** The spire-server sidecar component each overlay's mode adds to spire-server-sidecar. */
const SIDECAR_COMPONENT: Readonly<Record<string, string>> = {
  webhook: "deploy/components/spire-server-sidecar-webhook",
  crd: "deploy/components/spire-server-sidecar-crd",
};
const KNATIVE_KINDS = new Set([
  "serving.knative.dev/v1/Service",
  "sources.knative.dev/v1/ApiServerSource",
  "sources.knative.dev/v1/PingSource",
]);
const FIELD_MANAGER = "deploy-manifests-test";

/** A spire-server StatefulSet as SPIRE's quickstart names it, for the sidecar component. */
const SPIRE_SERVER_STATEFULSET = `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: spire-server
  namespace: spire
  labels: { app: spire-server }
spec:
  serviceName: spire-server
  replicas: 1
  selector:
    matchLabels: { app: spire-server }
  template:
    metadata:
      labels: { app: spire-server }
    spec:
      serviceAccountName: spire-server
      containers:
        - name: spire-server
          image: ghcr.io/spiffe/spire-server:1.13.3
          args: ["-config", "/run/spire/config/server.conf"]
`;

const SCM_GROUP = "spire.spiffe.io";
const SCM_PLURALS = ["clusterspiffeids", "clusterstaticentries", "clusterfederatedtrustdomains"];

/** What cluster-spiffeid users bring from spire-controller-manager: its config, as docs/cluster-spiffeid-deploy.md shows it. */
const SCM_CONFIG = `apiVersion: spire.spiffe.io/v1alpha1
kind: ControllerManagerConfig
trustDomain: example.org
clusterName: example-cluster
spireServerSocketPath: /tmp/spire-server/private/api.sock
entryIDPrefix: example-cluster
ignoreNamespaces: ["^kube-system$", "^kube-public$", "^spire$"]
`;

const scm = (kind: string, name: string, spec: unknown): KubernetesObject & { spec: unknown } =>
  ({ apiVersion: `${SCM_GROUP}/v1alpha1`, kind, metadata: { name }, spec }) as KubernetesObject & {
    spec: unknown;
  };
const selector = {
  matchLabels: { app: "web" },
  matchExpressions: [
    { key: "tier", operator: "In", values: ["front", "back"] },
    { key: "spiffe.io/spiffe-id", operator: "Exists" },
  ],
};
const webProfile = { type: "https_web" };

/**
 * Resources as users write them for spire-controller-manager, valid and not: every required field
 * left out, wrong types, the enum, the (unanchored) pattern, unknown fields (pruned), a status in a
 * create (dropped: status subresource).
 */
const SCM_CORPUS: readonly KubernetesObject[] = [
  scm("ClusterSPIFFEID", "id-full", {
    spiffeIDTemplate:
      "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
    podSelector: selector,
    namespaceSelector: { matchLabels: { team: "a" } },
    dnsNameTemplates: ["{{ .PodMeta.Name }}.example.org"],
    workloadSelectorTemplates: ["k8s:ns:{{ .PodMeta.Namespace }}"],
    ttl: "1h",
    jwtTtl: "5m",
    federatesWith: ["other.org"],
    admin: false,
    downstream: false,
    autoPopulateDNSNames: true,
    className: "blue",
    fallback: true,
    hint: "web",
  }),
  scm("ClusterSPIFFEID", "id-minimal", { spiffeIDTemplate: "spiffe://example.org/x" }),
  scm("ClusterSPIFFEID", "id-unknown-field", { spiffeIDTemplate: "spiffe://example.org/x", storeSVID: true }),
  {
    ...scm("ClusterSPIFFEID", "id-with-status", { spiffeIDTemplate: "spiffe://example.org/x" }),
    status: { stats: { podsSelected: 7 } },
  } as KubernetesObject,
  scm("ClusterSPIFFEID", "id-no-template", { podSelector: selector }),
  scm("ClusterSPIFFEID", "id-ttl-number", { spiffeIDTemplate: "spiffe://example.org/x", ttl: 3600 }),
  scm("ClusterSPIFFEID", "id-no-operator", {
    spiffeIDTemplate: "spiffe://example.org/x",
    podSelector: { matchExpressions: [{ key: "app" }] },
  }),
  scm("ClusterSPIFFEID", "id-federates-string", {
    spiffeIDTemplate: "spiffe://example.org/x",
    federatesWith: "other.org",
  }),
  { apiVersion: `${SCM_GROUP}/v1alpha1`, kind: "ClusterSPIFFEID", metadata: { name: "id-no-spec" } },
  scm("ClusterStaticEntry", "static-full", {
    spiffeID: "spiffe://example.org/static",
    parentID: "spiffe://example.org/spire/server",
    selectors: ["k8s_psat:cluster:example-cluster", "k8s_psat:agent_ns:spire"],
    federatesWith: ["other.org"],
    x509SVIDTTL: "2h",
    jwtSVIDTTL: "10m",
    dnsNames: ["static.example.org"],
    hint: "static",
    admin: true,
    downstream: false,
    storeSVID: true,
    className: "blue",
  }),
  scm("ClusterStaticEntry", "static-no-selectors", {
    spiffeID: "spiffe://example.org/static",
    parentID: "spiffe://example.org/spire/server",
  }),
  scm("ClusterStaticEntry", "static-no-parent", {
    spiffeID: "spiffe://example.org/static",
    selectors: ["a:1"],
  }),
  scm("ClusterStaticEntry", "static-selectors-string", {
    spiffeID: "spiffe://example.org/static",
    parentID: "spiffe://example.org/spire/server",
    selectors: "a:1",
  }),
  scm("ClusterFederatedTrustDomain", "td-web", {
    trustDomain: "other.org",
    bundleEndpointURL: "https://other.org/bundle",
    bundleEndpointProfile: webProfile,
    className: "blue",
  }),
  scm("ClusterFederatedTrustDomain", "td-spiffe", {
    trustDomain: "other.org",
    bundleEndpointURL: "https://other.org:8443",
    bundleEndpointProfile: { type: "https_spiffe", endpointSPIFFEID: "spiffe://other.org/spire/server" },
    trustDomainBundle: '{"keys":[]}',
  }),
  // the pattern is unanchored: one lowercase character anywhere passes
  scm("ClusterFederatedTrustDomain", "td-mostly-upper", {
    trustDomain: "OTHER.ORg",
    bundleEndpointURL: "https://other.org",
    bundleEndpointProfile: webProfile,
  }),
  scm("ClusterFederatedTrustDomain", "td-upper", {
    trustDomain: "OTHER",
    bundleEndpointURL: "https://other.org",
    bundleEndpointProfile: webProfile,
  }),
  scm("ClusterFederatedTrustDomain", "td-bad-profile", {
    trustDomain: "other.org",
    bundleEndpointURL: "https://other.org",
    bundleEndpointProfile: { type: "https" },
  }),
  scm("ClusterFederatedTrustDomain", "td-profile-no-type", {
    trustDomain: "other.org",
    bundleEndpointURL: "https://other.org",
    bundleEndpointProfile: { endpointSPIFFEID: "spiffe://other.org/spire/server" },
  }),
  scm("ClusterFederatedTrustDomain", "td-no-profile", {
    trustDomain: "other.org",
    bundleEndpointURL: "https://other.org",
  }),
  scm("ClusterFederatedTrustDomain", "td-no-url", {
    trustDomain: "other.org",
    bundleEndpointProfile: webProfile,
  }),
];

/** Resources that exist when the CRDs are taken over: [plural, object]. */
const EXISTING: readonly (readonly [string, { metadata: { name: string }; spec: unknown }])[] = [
  [
    "clusterspiffeids",
    scm("ClusterSPIFFEID", "existing-id", {
      spiffeIDTemplate:
        "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}",
      podSelector: selector,
      ttl: "1h",
    }) as { metadata: { name: string }; spec: unknown },
  ],
  [
    "clusterstaticentries",
    scm("ClusterStaticEntry", "existing-static", {
      spiffeID: "spiffe://example.org/static",
      parentID: "spiffe://example.org/spire/server",
      selectors: ["k8s_psat:cluster:example-cluster"],
    }) as { metadata: { name: string }; spec: unknown },
  ],
  [
    "clusterfederatedtrustdomains",
    scm("ClusterFederatedTrustDomain", "existing-td", {
      trustDomain: "other.org",
      bundleEndpointURL: "https://other.org/bundle",
      bundleEndpointProfile: webProfile,
    }) as { metadata: { name: string }; spec: unknown },
  ],
];

/** Replaces a custom resource's status through its status subresource; returns the status stored. */
async function writeStatus(
  custom: CustomObjectsApi,
  plural: string,
  name: string,
  status: object,
): Promise<unknown> {
  const at = { group: SCM_GROUP, version: "v1alpha1", plural, name };
  const current = (await custom.getClusterCustomObject(at)) as Record<string, unknown>;
  const written = (await custom.replaceClusterCustomObjectStatus({
    ...at,
    body: { ...current, status },
  })) as {
    status?: unknown;
  };
  return written.status;
}

/**
 * A CRD as client-node's typed models hold it. Its API classes (and KubernetesObjectApi, for kinds it
 * knows) serialize a body by the models' TypeScript field names: a CRD parsed from YAML carries the
 * JSON names, and those without a same-named field (`enum`, `default`, `x-kubernetes-list-type`, ...)
 * would be dropped on the way to the API server without a word.
 */
function typedCrd(crd: KubernetesObject | V1CustomResourceDefinition): V1CustomResourceDefinition {
  return ObjectSerializer.deserialize(crd, "V1CustomResourceDefinition", "") as V1CustomResourceDefinition;
}

/** A CRD without what does not change validation: descriptions, annotations, status, the order of `required`. */
function schemaShape(crd: KubernetesObject | V1CustomResourceDefinition): { metadata: { name?: string } } {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "description")
        .map(([key, item]) => [
          key,
          key === "required" && Array.isArray(item) ? [...item].sort() : strip(item),
        ]),
    );
  };
  const { status: _status, ...rest } = crd as Record<string, unknown>;
  const metadata = { name: (crd.metadata as { name?: string } | undefined)?.name };
  return strip({ ...rest, metadata }) as { metadata: { name?: string } };
}

interface ApiServerSourceSpec {
  serviceAccountName: string;
  resources: { apiVersion: string; kind: string }[];
  sink: { ref: { name: string } };
}

interface StatefulPodSpec {
  containers: {
    name: string;
    ports?: { name?: string }[];
    volumeMounts?: { name: string; mountPath: string }[];
  }[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
}

/** kustomize is built by scripts/peers.sh next to the other peers; missing fails in CI, like them. */
function kustomizeBinary(): string | undefined {
  const path = join(peersDir(), "kustomize");
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    const message = `kustomize missing in ${peersDir()}: run \`npm run peers\` (or set PEERS_BIN)`;
    if (process.env.CI === "true") throw new Error(message);
    process.stderr.write(`[e2e] skipping: ${message}\n`);
    return undefined;
  }
}

const kustomize = kustomizeBinary();
const skip = skipWithoutPeers(["etcd", "kube-apiserver"]) || kustomize === undefined;
/** spire-controller-manager's CRDs come with its (optional) peer build; CI builds it and requires them. */
const withScmCrds = !skip && requirePeers(["spire-controller-manager"]).available;

async function render(dir: string): Promise<KubernetesObject[]> {
  if (kustomize === undefined) throw new Error("kustomize is missing");
  const { stdout } = await run(kustomize, ["build", dir], { maxBuffer: 16 * 1024 * 1024 });
  return parseAllDocuments(stdout).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`kustomize output of ${dir}: ${doc.errors[0]?.message}`);
    return doc.toJS() as KubernetesObject;
  });
}

const typeOf = (o: KubernetesObject) => `${o.apiVersion}/${o.kind}`;
const nameOf = (o: KubernetesObject) => `${o.kind} ${o.metadata?.namespace ?? ""}/${o.metadata?.name}`;

/** Schema errors of a Knative resource, or undefined when it is valid. */
function knativeSchemaError(o: KubernetesObject): string | undefined {
  const model =
    o.kind === "Service"
      ? new Service(o as never)
      : o.kind === "ApiServerSource"
        ? new ApiServerSource(o as never)
        : new PingSource(o as never);
  try {
    model.validate();
    return undefined;
  } catch (error) {
    return `${nameOf(o)}: ${(error as Error).message}`;
  }
}

/** A temporary kustomization next to nothing, referring to repository paths relatively. */
async function withOverlay<T>(
  files: Record<string, string>,
  kustomization: (toRepo: (path: string) => string) => Record<string, unknown>,
  use: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "deploy-overlay-"));
  try {
    const toRepo = (path: string) => relative(dir, join(REPO, path));
    await writeFile(join(dir, "kustomization.yaml"), stringify(kustomization(toRepo)));
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(skip)("deployment manifests against real schemas", () => {
  let plane: ControlPlane | undefined;
  const kubeConfig = () => {
    if (plane === undefined) throw new Error("control plane did not start (see beforeAll)");
    return plane.kubeConfig;
  };
  const objects = (): KubernetesObjectApi => KubernetesObjectApi.makeApiClient(kubeConfig());

  /** Knative resources against the CRD schemas, the rest as a server-side dry run. */
  async function checkAgainstSchemas(rendered: readonly KubernetesObject[]): Promise<void> {
    const schemaErrors = rendered.filter((o) => KNATIVE_KINDS.has(typeOf(o))).map(knativeSchemaError);
    expect(schemaErrors.filter((e) => e !== undefined)).toEqual([]);
    const api = objects();
    const failures: string[] = [];
    for (const o of rendered.filter((o) => !KNATIVE_KINDS.has(typeOf(o)))) {
      try {
        // The Namespace exists for real (beforeAll), so it is dry-run applied rather than created.
        if (o.kind === "Namespace")
          await api.patch(o, undefined, "All", FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
        else await api.create(o, undefined, "All");
      } catch (error) {
        const body = (error as { body?: unknown }).body;
        failures.push(`${nameOf(o)}: ${typeof body === "string" ? body : String(error)}`);
      }
    }
    expect(failures).toEqual([]);
  }

  /**
   * Applies the rendered CRDs for real (the SpiffeID CRD, or SCM's three), so the dry run of anything
   * naming their kinds sees them. Does nothing for an overlay without CRDs.
   */
  async function establishCrds(rendered: readonly KubernetesObject[]): Promise<void> {
    const crds = rendered.filter((o) => o.kind === "CustomResourceDefinition");
    const extensions = plane?.kubeConfig.makeApiClient(ApiextensionsV1Api);
    for (const crd of crds) {
      await objects().patch(
        typedCrd(crd) as KubernetesObject,
        undefined,
        undefined,
        FIELD_MANAGER,
        true,
        PatchStrategy.ServerSideApply,
      );
    }
    for (const crd of crds) {
      const name = crd.metadata?.name ?? "";
      await waitUntil(
        async () => {
          const read = await extensions?.readCustomResourceDefinition({ name });
          return (
            read?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
          );
        },
        { what: `CRD ${name} Established`, timeoutMs: 30_000 },
      );
    }
  }

  beforeAll(async () => {
    plane = await startControlPlane();
    // Namespaced dry runs need the namespace to exist.
    await objects().create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "spire" } });
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
  });
  afterAll(async () => {
    await plane?.stop();
  });

  for (const overlay of OVERLAYS) {
    it(`knative/overlays/${overlay}: Knative resources match their schemas, the rest passes a dry run`, async () => {
      const rendered = await render(join(REPO, "knative/overlays", overlay));
      const kinds = new Set(rendered.map((o) => o.kind));
      for (const kind of ["ServiceAccount", "ConfigMap", "Service", "PingSource"])
        expect(kinds, `${overlay} renders a ${kind}`).toContain(kind);
      // `kubectl delete -k` must never take SPIRE's namespace with it.
      expect(kinds, `${overlay} renders no Namespace`).not.toContain("Namespace");

      await establishCrds(rendered);
      await checkAgainstSchemas(rendered.filter((o) => o.kind !== "CustomResourceDefinition"));
    });
  }

  for (const overlay of OVERLAYS) {
    it(`deploy/overlays/${overlay}: registrar serve --watch as a Deployment passes a dry run, with no Namespace`, async () => {
      const rendered = await render(join(REPO, "deploy/overlays", overlay));
      const kinds = rendered.map((o) => o.kind);
      for (const kind of ["ServiceAccount", "ConfigMap", "Deployment", "ClusterRole", "Role"])
        expect(kinds, `${overlay} renders a ${kind}`).toContain(kind);
      expect(kinds).not.toContain("Namespace");
      await establishCrds(rendered);
      await checkAgainstSchemas(rendered.filter((o) => o.kind !== "CustomResourceDefinition"));
    });
  }

  for (const overlay of OVERLAYS) {
    it(`deploy/components/spire-server-sidecar (${overlay}): the registrar joins the spire-server pod and shares its socket`, async () => {
      const components = ["deploy/components/spire-server-sidecar"];
      const modeComponent = SIDECAR_COMPONENT[overlay];
      if (modeComponent !== undefined) components.push(modeComponent);
      const rendered = await withOverlay(
        { "spire-server.yaml": SPIRE_SERVER_STATEFULSET },
        (toRepo) => ({
          resources: [toRepo(`deploy/overlays/${overlay}`), "spire-server.yaml"],
          components: components.map(toRepo),
        }),
        render,
      );
      expect(rendered.map((o) => o.kind)).not.toContain("Deployment");
      const server = rendered.find((o) => o.kind === "StatefulSet") as unknown as {
        spec: { template: { spec: StatefulPodSpec } };
      };
      const pod = server.spec.template.spec;
      const mountOf = (container: string) =>
        pod.containers
          .find((c) => c.name === container)
          ?.volumeMounts?.find((m) => m.name === "spire-server-socket")?.mountPath;
      expect(mountOf("spire-server")).toBe("/tmp/spire-server/private");
      expect(mountOf("k8s-workload-registrar")).toBe("/tmp/spire-server/private");
      expect(pod.volumes?.find((v) => v.name === "spire-server-socket")?.emptyDir).toEqual({});
      // every binding now names the server's ServiceAccount
      for (const binding of rendered.filter((o) => o.kind?.endsWith("RoleBinding"))) {
        const subjects = (binding as unknown as { subjects: { name: string }[] }).subjects;
        expect(subjects.map((s) => s.name)).toEqual(["spire-server"]);
      }
      await establishCrds(rendered);
      await checkAgainstSchemas(rendered.filter((o) => o.kind !== "CustomResourceDefinition"));
    });
  }

  it("deploy/examples/my-cluster, copied outside the repository, replaces registrar.conf and passes a dry run", async () => {
    const example = join(REPO, "deploy/examples/my-cluster");
    const ownConf = await readFile(join(example, "registrar.conf"), "utf8");
    const shipped = await readFile(join(example, "kustomization.yaml"), "utf8");
    const rendered = await withOverlay(
      { "registrar.conf": ownConf },
      (toRepo) => {
        const kustomization = parse(shipped) as { resources: string[] };
        // what the copy's owner does: point `resources` at a checkout of the repository
        expect(kustomization.resources).toEqual(["../../overlays/reconcile"]);
        return { ...kustomization, resources: [toRepo("deploy/overlays/reconcile")] };
      },
      render,
    );
    const configMaps = rendered.filter((o) => o.kind === "ConfigMap");
    expect(configMaps).toHaveLength(1);
    expect((configMaps[0] as unknown as { data: Record<string, string> }).data["registrar.conf"]).toBe(
      ownConf,
    );
    // the Deployment mounts the replaced ConfigMap (its name carries the new content's hash)
    const deployment = rendered.find((o) => o.kind === "Deployment") as unknown as {
      spec: { template: { spec: StatefulPodSpec } };
    };
    expect(deployment.spec.template.spec.volumes?.find((v) => v.name === "config")?.configMap?.name).toBe(
      configMaps[0]?.metadata?.name,
    );
    await checkAgainstSchemas(rendered);
  });

  it("deploy/components/pod-monitor selects the registrar's pods and scrapes the port its probes use", async () => {
    const rendered = await withOverlay(
      {},
      (toRepo) => ({
        resources: [toRepo("deploy/overlays/reconcile")],
        components: [toRepo("deploy/components/pod-monitor")],
      }),
      render,
    );
    const monitor = rendered.find((o) => o.kind === "PodMonitor") as unknown as {
      metadata: { namespace: string };
      spec: { selector: { matchLabels: Record<string, string> }; podMetricsEndpoints: { port: string }[] };
    };
    const deployment = rendered.find((o) => o.kind === "Deployment") as unknown as {
      spec: { template: { metadata: { labels: Record<string, string> }; spec: StatefulPodSpec } };
    };
    expect(monitor.metadata.namespace).toBe("spire");
    expect(deployment.spec.template.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    const ports = deployment.spec.template.spec.containers[0]?.ports?.map((p) => p.name);
    expect(ports).toContain(monitor.spec.podMetricsEndpoints[0]?.port);
    // The PodMonitor kind needs the Prometheus Operator's CRD, which this API server lacks.
    await checkAgainstSchemas(rendered.filter((o) => o.kind !== "PodMonitor"));
  });

  it("webhook mode: generate-config's webhook configuration patches the template in and adds the caBundle", async () => {
    const options = resolveOptions({});
    if (!options.ok) throw new Error(options.error.join("; "));
    const generated = await generateConfig(options.value, new Date(), webcrypto as never);
    if (!generated.ok) throw new Error(generated.error);
    const documents = parseAllDocuments(generated.value.stream).map((d) => d.toJS() as KubernetesObject);
    const pick = (kind: string) => {
      const found = documents.find((d) => d.kind === kind);
      if (found === undefined) throw new Error(`generate-config printed no ${kind}`);
      return stringify(found);
    };

    const rendered = await withOverlay(
      {
        "certs.yaml": pick("ConfigMap"),
        "secret.yaml": pick("Secret"),
        "webhook-configuration.yaml": pick("ValidatingWebhookConfiguration"),
      },
      (toRepo) => ({
        resources: [toRepo("knative/overlays/webhook"), "certs.yaml", "secret.yaml"],
        patches: [{ path: "webhook-configuration.yaml" }],
      }),
      render,
    );
    const webhooks = rendered.filter((o) => o.kind === "ValidatingWebhookConfiguration");
    expect(webhooks).toHaveLength(1);
    const [webhook] = (
      webhooks[0] as unknown as { webhooks: { name: string; clientConfig: { caBundle?: string } }[] }
    ).webhooks;
    // one webhook (merged by name, not appended) that now carries generate-config's CA
    expect((webhooks[0] as unknown as { webhooks: unknown[] }).webhooks).toHaveLength(1);
    expect(webhook?.name).toBe("k8s-workload-registrar.spire.svc");
    expect(Buffer.from(webhook?.clientConfig.caBundle ?? "", "base64").toString()).toContain(
      "BEGIN CERTIFICATE",
    );
    await checkAgainstSchemas(rendered);
  });

  it("the server-socket component swaps the CSI volume for the server's hostPath socket on every workload", async () => {
    const rendered = await withOverlay(
      {},
      (toRepo) => ({
        resources: [toRepo("knative/overlays/webhook")],
        components: [toRepo("knative/components/server-socket-hostpath")],
      }),
      render,
    );
    const workloads = rendered.filter(
      (o) => o.kind === "Deployment" || typeOf(o) === "serving.knative.dev/v1/Service",
    );
    expect(workloads.length).toBeGreaterThan(1);
    for (const w of workloads) {
      const spec = (
        w as unknown as {
          spec: {
            template: {
              spec: {
                volumes: { name: string; csi?: unknown; hostPath?: { path: string } }[];
                nodeSelector?: Record<string, string>;
              };
            };
          };
        }
      ).spec.template.spec;
      expect(
        spec.volumes.some((v) => v.csi !== undefined),
        nameOf(w),
      ).toBe(false);
      expect(spec.volumes.find((v) => v.name === "spire-server-socket")?.hostPath?.path).toBe(
        "/run/spire/server-sockets",
      );
      expect(spec.nodeSelector).toEqual({ "spire-server": "true" });
    }
    await checkAgainstSchemas(rendered);
  });

  it("the resync schedule is changed with the documented patch", async () => {
    const rendered = await withOverlay(
      {},
      (toRepo) => ({
        resources: [toRepo("knative/overlays/reconcile")],
        patches: [
          {
            target: { kind: "PingSource", name: "registrar-resync" },
            patch: '[{"op": "replace", "path": "/spec/schedule", "value": "*/15 * * * *"}]',
          },
        ],
      }),
      render,
    );
    const ping = rendered.find((o) => o.kind === "PingSource") as unknown as { spec: { schedule: string } };
    expect(ping.spec.schedule).toBe("*/15 * * * *");
    await checkAgainstSchemas(rendered);
  });

  // ---- cluster-spiffeid mode ---------------------------------------------------------------

  /** One API call, as a SubjectAccessReview asks it, by a ServiceAccount of namespace spire. */
  interface Call extends V1ResourceAttributes {
    sa: string;
  }
  const describeCall = (c: Call) =>
    `${c.sa}: ${c.verb} ${c.group || "core"}/${c.resource}${c.subresource ? `/${c.subresource}` : ""}` +
    (c.name ? ` ${c.namespace}/${c.name}` : c.namespace ? ` in ${c.namespace}` : "");
  const calls = (sa: string, verbs: readonly string[], group: string, resources: readonly string[]) =>
    resources.flatMap((resource) => verbs.map((verb): Call => ({ sa, verb, group, resource })));

  /** Everything a cluster-spiffeid pass reads, with the given verbs (cluster-wide). */
  const passReads = (sa: string, verbs: readonly string[]) => [
    ...calls(sa, verbs, "", ["pods", "namespaces", "nodes"]),
    ...calls(sa, verbs, "discovery.k8s.io", ["endpointslices"]),
    ...calls(sa, verbs, SCM_GROUP, SCM_PLURALS),
  ];
  const statusWrites = (sa: string) =>
    ["clusterspiffeids", "clusterstaticentries"].flatMap((resource) =>
      ["update", "patch"].map(
        (verb): Call => ({ sa, verb, group: SCM_GROUP, resource, subresource: "status" }),
      ),
    );
  const leaseCalls = (sa: string): Call[] => [
    ...["get", "update"].map(
      (verb): Call => ({
        sa,
        verb,
        group: "coordination.k8s.io",
        resource: "leases",
        namespace: "spire",
        name: "spire-k8s-registrar-leader-election",
      }),
    ),
    { sa, verb: "create", group: "coordination.k8s.io", resource: "leases", namespace: "spire" },
  ];
  /** Writes to the custom resources' specs, which are the cluster admin's alone. */
  const specWrites = (sa: string) => [
    ...calls(sa, ["create", "update", "patch", "delete"], SCM_GROUP, SCM_PLURALS),
    { sa, verb: "update", group: SCM_GROUP, resource: "clusterfederatedtrustdomains", subresource: "status" },
  ];

  async function isAllowed(call: Call): Promise<boolean> {
    const { sa, ...resourceAttributes } = call;
    const review = await kubeConfig()
      .makeApiClient(AuthorizationV1Api)
      .createSubjectAccessReview({
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user: `system:serviceaccount:spire:${sa}`,
            groups: ["system:serviceaccounts", "system:serviceaccounts:spire", "system:authenticated"],
            resourceAttributes,
          },
        },
      });
    return review.status?.allowed === true;
  }

  /**
   * Creates the RBAC objects of a rendered overlay for real, asks the API server's authorizer about
   * each call (once it has seen the new objects), and deletes them again: the other tests dry-run
   * create the same objects. Returns the calls that were answered otherwise than expected.
   */
  async function unexpectedVerdicts(
    rendered: readonly KubernetesObject[],
    mustAllow: readonly Call[],
    mustDeny: readonly Call[],
  ): Promise<string[]> {
    const rbac = rendered.filter((o) => o.apiVersion === "rbac.authorization.k8s.io/v1");
    const api = objects();
    const created: KubernetesObject[] = [];
    try {
      for (const o of rbac) created.push(await api.create(o));
      // The authorizer learns of new roles through a watch: wait for it, then take the answers as they are.
      await waitUntil(async () => (await Promise.all(mustAllow.map(isAllowed))).every(Boolean), {
        what: "RBAC in effect",
        timeoutMs: 15_000,
      }).catch(() => undefined);
      const answers = await Promise.all(
        [...mustAllow.map((c) => [c, true] as const), ...mustDeny.map((c) => [c, false] as const)].map(
          async ([call, expected]) => ((await isAllowed(call)) === expected ? [] : [describeCall(call)]),
        ),
      );
      return answers.flat().map((call) => `answered otherwise: ${call}`);
    } finally {
      for (const o of created.reverse()) await api.delete(o);
    }
  }

  /** The resource (plural) the API server serves for a kind, from its discovery documents. */
  async function servedResource(apiVersion: string, kind: string): Promise<string | undefined> {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    const list =
      group === ""
        ? await kubeConfig().makeApiClient(CoreV1Api).getAPIResources()
        : await kubeConfig()
            .makeApiClient(CustomObjectsApi)
            .getAPIResources({ group: group as string, version: version as string });
    return list.resources.find((r) => r.kind === kind && !r.name.includes("/"))?.name;
  }

  it("knative/overlays/cluster-spiffeid: the sources name served kinds, and the RBAC allows each function's calls and no more", async () => {
    const rendered = await render(join(REPO, "knative/overlays/cluster-spiffeid"));
    await establishCrds(rendered);
    const sources = rendered
      .filter((o) => o.kind === "ApiServerSource")
      .flatMap((o) => {
        const spec = (o as unknown as { spec: ApiServerSourceSpec }).spec;
        return spec.resources.map((r) => ({ ...r, sink: spec.sink.ref.name, sa: spec.serviceAccountName }));
      });
    expect(sources.map((r) => `${r.apiVersion} ${r.kind} -> ${r.sink} as ${r.sa}`).sort()).toEqual(
      [
        "v1 Pod",
        "v1 Namespace",
        "v1 Node",
        "discovery.k8s.io/v1 EndpointSlice",
        "spire.spiffe.io/v1alpha1 ClusterSPIFFEID",
        "spire.spiffe.io/v1alpha1 ClusterStaticEntry",
        "spire.spiffe.io/v1alpha1 ClusterFederatedTrustDomain",
      ]
        .map((kind) => `${kind} -> registrar-k8s-events as registrar-event-source`)
        .sort(),
    );
    // Each kind is one the API server serves; the adapter must be able to get, list and watch it.
    const watches: Call[] = [];
    for (const source of sources) {
      const resource = await servedResource(source.apiVersion, source.kind);
      expect(resource, `${source.apiVersion} ${source.kind} is served`).toBeDefined();
      const group = source.apiVersion.includes("/") ? (source.apiVersion.split("/")[0] as string) : "";
      watches.push(...calls("registrar-event-source", ["get", "list", "watch"], group, [resource as string]));
    }

    const mustAllow = [
      ...passReads("registrar-k8s-events", ["get", "list"]),
      ...passReads("registrar-resync", ["get", "list"]),
      ...statusWrites("registrar-resync"),
      ...leaseCalls("registrar-resync"),
      ...watches,
    ];
    const mustDeny = [
      // k8s-events reads; the status is the resync's to write
      ...statusWrites("registrar-k8s-events"),
      ...specWrites("registrar-k8s-events"),
      ...specWrites("registrar-resync"),
      // no function keeps a watch open
      ...calls("registrar-k8s-events", ["watch"], "", ["pods"]),
      ...calls("registrar-resync", ["watch"], SCM_GROUP, ["clusterspiffeids"]),
      ...calls("registrar-resync", ["create"], "", ["pods"]),
      { ...(leaseCalls("registrar-resync")[1] as Call), name: "another-lease" },
      ...statusWrites("registrar-event-source"),
      ...calls("registrar-event-source", ["update"], "", ["namespaces"]),
    ];
    expect(await unexpectedVerdicts(rendered, mustAllow, mustDeny)).toEqual([]);
  });

  it("deploy/overlays/cluster-spiffeid: the RBAC allows registrar serve --watch its calls and no more", async () => {
    const rendered = await render(join(REPO, "deploy/overlays/cluster-spiffeid"));
    const sa = "k8s-workload-registrar";
    const mustAllow = [...passReads(sa, ["get", "list", "watch"]), ...statusWrites(sa), ...leaseCalls(sa)];
    const mustDeny = [
      ...specWrites(sa),
      ...calls(sa, ["create", "update", "delete"], "", ["pods", "namespaces", "nodes"]),
      ...calls(sa, ["create", "update"], "discovery.k8s.io", ["endpointslices"]),
    ];
    expect(await unexpectedVerdicts(rendered, mustAllow, mustDeny)).toEqual([]);
  });

  it.skipIf(!withScmCrds)(
    "cluster-spiffeid: the CRDs are spire-controller-manager v0.6.6's, descriptions aside",
    async () => {
      const ours = (await render(join(REPO, "knative/base/cluster-spiffeid"))).map(schemaShape);
      const theirs = (await readCrds(await scmCrdFiles()))
        .filter((crd) => SCM_PLURALS.some((plural) => crd.metadata?.name === `${plural}.${SCM_GROUP}`))
        .map(schemaShape);
      const byName = (a: { metadata: { name?: string } }, b: { metadata: { name?: string } }) =>
        (a.metadata.name ?? "").localeCompare(b.metadata.name ?? "");
      expect(theirs).toHaveLength(3);
      expect(ours.sort(byName)).toEqual(theirs.sort(byName));
    },
  );

  it.skipIf(!withScmCrds)(
    "cluster-spiffeid: the CRDs take over SCM's in place, and judge SCM's resources as SCM's CRDs do",
    async () => {
      const ours = (await render(
        join(REPO, "knative/base/cluster-spiffeid"),
      )) as V1CustomResourceDefinition[];
      const theirs = (await readCrds(await scmCrdFiles())).filter((crd) =>
        SCM_PLURALS.some((plural) => crd.metadata?.name === `${plural}.${SCM_GROUP}`),
      );
      const extensions = kubeConfig().makeApiClient(ApiextensionsV1Api);
      const custom = kubeConfig().makeApiClient(CustomObjectsApi);

      // spire-controller-manager's CRDs, fresh: how they judge the corpus
      await deleteScmCrds();
      await applyCrdObjects(kubeConfig(), theirs.map(typedCrd));
      const underScm = await judge(SCM_CORPUS);

      // resources a user made under them, with status as SCM writes it
      for (const [plural, body] of EXISTING) {
        await custom.createClusterCustomObject({ group: SCM_GROUP, version: "v1alpha1", plural, body });
      }
      await writeStatus(custom, "clusterspiffeids", "existing-id", {
        stats: { podsSelected: 3, entriesToSet: 3 },
      });
      await writeStatus(custom, "clusterstaticentries", "existing-static", {
        rendered: true,
        masked: false,
        set: true,
      });

      // ours replace them in place (what `kubectl apply -k` does to a cluster that has SCM's)
      for (const crd of ours) {
        const name = crd.metadata?.name ?? "";
        const current = await extensions.readCustomResourceDefinition({ name });
        const typed = typedCrd(crd);
        await extensions.replaceCustomResourceDefinition({
          name,
          body: {
            ...typed,
            metadata: { ...typed.metadata, resourceVersion: current.metadata?.resourceVersion },
          },
        });
      }
      await establishCrds(ours as KubernetesObject[]);
      for (const [plural, body] of EXISTING) {
        const read = (await custom.getClusterCustomObject({
          group: SCM_GROUP,
          version: "v1alpha1",
          plural,
          name: body.metadata.name,
        })) as { spec: unknown };
        expect(read.spec, `${plural} ${body.metadata.name} survives`).toEqual(body.spec);
      }
      // the status subresource still takes the registrar's writes
      const stats = { podsSelected: 4, entriesToSet: 4, namespacesSelected: 1 };
      const written = await writeStatus(custom, "clusterspiffeids", "existing-id", { stats });
      expect(written).toEqual({ stats });

      // ours, fresh: the same verdicts, word for word
      await deleteScmCrds();
      await establishCrds(ours as KubernetesObject[]);
      const underOurs = await judge(SCM_CORPUS);
      expect(underOurs).toEqual(underScm);
      // and the corpus is not trivial: some are refused, some pruned, some kept as written
      const fate = (name: string) => underOurs.find((v) => v.startsWith(`${name}: `))?.split(" ")[1];
      expect(underOurs.filter((v) => v.includes(": rejected")).length).toBeGreaterThanOrEqual(10);
      expect(fate("td-bad-profile")).toBe("rejected"); // the enum reached the API server
      expect(fate("td-mostly-upper")).toBe("accepted"); // SCM's pattern is unanchored
      expect(underOurs).toContain(`id-unknown-field: accepted {"spiffeIDTemplate":"spiffe://example.org/x"}`);
    },
  );

  it("cluster-spiffeid: an SCM ControllerManagerConfig as registrar.conf in the spire-server pod", async () => {
    const rendered = await withOverlay(
      { "spire-server.yaml": SPIRE_SERVER_STATEFULSET, "controller-manager-config.yaml": SCM_CONFIG },
      (toRepo) => ({
        resources: [toRepo("deploy/overlays/cluster-spiffeid"), "spire-server.yaml"],
        components: [toRepo("deploy/components/spire-server-sidecar")],
        configMapGenerator: [
          {
            name: "k8s-workload-registrar-config",
            namespace: "spire",
            behavior: "replace",
            files: ["registrar.conf=controller-manager-config.yaml"],
          },
        ],
      }),
      render,
    );
    const configMaps = rendered.filter((o) => o.kind === "ConfigMap");
    expect(configMaps).toHaveLength(1);
    const text = (configMaps[0] as unknown as { data: Record<string, string> }).data["registrar.conf"];
    expect(text).toBe(SCM_CONFIG);
    const parsed = parseScmConfig(text ?? "");
    if (!parsed.ok) throw new Error(parsed.error.join("\n"));
    expect(parsed.value.warnings).toEqual([]);
    // the socket SCM's config names is the one the sidecar shares with spire-server
    const server = rendered.find((o) => o.kind === "StatefulSet") as unknown as {
      spec: { template: { spec: StatefulPodSpec } };
    };
    const socketDir = server.spec.template.spec.containers
      .find((c) => c.name === "k8s-workload-registrar")
      ?.volumeMounts?.find((m) => m.name === "spire-server-socket")?.mountPath;
    expect(parsed.value.config.spireServerSocketPath).toBe(`${socketDir}/api.sock`);
    await establishCrds(rendered);
    await checkAgainstSchemas(rendered.filter((o) => o.kind !== "CustomResourceDefinition"));
  });

  /** Deletes the CRDs of SCM's three kinds, whoever's they are, and waits until they are gone. */
  async function deleteScmCrds(): Promise<void> {
    const extensions = kubeConfig().makeApiClient(ApiextensionsV1Api);
    const names = SCM_PLURALS.map((plural) => `${plural}.${SCM_GROUP}`);
    for (const name of names) {
      await extensions.deleteCustomResourceDefinition({ name }).catch((error: { code?: number }) => {
        if (error.code !== 404) throw error;
      });
    }
    await waitUntil(
      async () => {
        for (const name of names) {
          const gone = await extensions.readCustomResourceDefinition({ name }).then(
            () => false,
            (error: { code?: number }) => error.code === 404,
          );
          if (!gone) return false;
        }
        return true;
      },
      { what: "SCM kinds' CRDs deleted", timeoutMs: 60_000 },
    );
  }

  /** Each resource's fate in a dry-run create: accepted (with the spec as stored) or the refusal. */
  async function judge(corpus: readonly KubernetesObject[]): Promise<string[]> {
    const api = objects();
    const verdicts: string[] = [];
    for (const o of corpus) {
      try {
        const created = (await api.create(o, undefined, "All")) as KubernetesObject & { spec?: unknown };
        verdicts.push(`${o.metadata?.name}: accepted ${JSON.stringify(created.spec)}`);
      } catch (error) {
        const body = (error as { body?: unknown }).body;
        const message =
          typeof body === "string" ? (JSON.parse(body) as { message?: string }).message : undefined;
        verdicts.push(`${o.metadata?.name}: rejected ${message ?? String(error)}`);
      }
    }
    return verdicts;
  }
});
