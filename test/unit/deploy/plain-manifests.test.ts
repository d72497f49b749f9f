/**
 * Invariants of the deploy/ manifests (plain Kubernetes: `registrar serve --watch` as a Deployment
 * or as a spire-server sidecar), checked on the files themselves; the rendered overlays and
 * components get a server-side dry run in test/e2e/deploy-manifests.test.ts.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config/parse-config.js";
import { loadManifests, type Manifest, REPO, readYamlStream } from "./manifest-files.js";

interface Container {
  name: string;
  image?: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  livenessProbe?: { httpGet?: { path: string; port: string } };
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodTemplate {
  metadata?: { annotations?: Record<string, string> };
  spec: {
    containers: Container[];
    volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
  };
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const manifests = loadManifests("deploy");
const templateOf = (m: Manifest) => (m.spec as { template: PodTemplate }).template;
const find = (file: string, kind: string) => {
  const found = manifests.find((m) => m.file === file && m.kind === kind);
  if (!found) throw new Error(`${file} has no ${kind}`);
  return found;
};
const deployment = find("deploy/base/registrar.yaml", "Deployment");
const registrar = templateOf(deployment).spec.containers[0] as Container;
const sidecarTemplate = templateOf(
  find("deploy/components/spire-server-sidecar/sidecar.yaml", "StatefulSet"),
);
const sidecar = sidecarTemplate.spec.containers.find((c) => c.name === "k8s-workload-registrar") as Container;
const rulesOf = (file: string) => (find(file, "ClusterRole").rules as Rule[]) ?? [];
const MODES = ["reconcile", "webhook", "crd"] as const;

function loadOverlayConfig(path: string) {
  const loaded = loadConfig(join(REPO, path));
  if (!loaded.ok) throw new Error(loaded.error.join("\n"));
  return loaded.value;
}

describe("no manifest deletes SPIRE's namespace", () => {
  it("neither deploy/ nor knative/ contains a Namespace object", () => {
    const all = [...manifests, ...loadManifests("knative")];
    expect(all.filter((m) => m.kind === "Namespace").map((m) => m.file)).toEqual([]);
  });
});

describe("the registrar Deployment (deploy/base)", () => {
  const port = registrar.ports?.find((p) => p.name === "http")?.containerPort;

  it("runs registrar serve --watch from the image's CLI bundle, listening on its http port", () => {
    expect(registrar.args?.slice(0, 3)).toEqual(["dist/bundle/bin/registrar.js", "serve", "--watch"]);
    expect(existsSync(join(REPO, "bin/registrar.ts"))).toBe(true);
    expect(registrar.args).toContain(`--listen=:${port}`);
  });

  it("reads registrar.conf from the mounted ConfigMap through REGISTRAR_CONFIG, and knows its namespace", () => {
    expect(registrar.env).toContainEqual({
      name: "REGISTRAR_CONFIG",
      value: "/run/k8s-workload-registrar/registrar.conf",
    });
    const mount = registrar.volumeMounts?.find((m) => m.mountPath === "/run/k8s-workload-registrar");
    const volume = templateOf(deployment).spec.volumes?.find((v) => v.name === mount?.name);
    expect(volume?.configMap?.name).toBe("k8s-workload-registrar-config");
    expect(registrar.env?.map((e) => e.name)).toContain("MY_POD_NAMESPACE");
  });

  it("is probed on plain HTTP (/readyz, /healthz) and scraped on the same port (/metrics)", () => {
    expect(registrar.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(registrar.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(templateOf(deployment).metadata?.annotations).toEqual({
      "prometheus.io/scrape": "true",
      "prometheus.io/port": String(port),
      "prometheus.io/path": "/metrics",
    });
  });

  it("runs on a read-only root filesystem, writing only to /tmp", () => {
    expect(registrar.securityContext?.readOnlyRootFilesystem).toBe(true);
    const writable = registrar.volumeMounts?.filter((m) => !m.readOnly).map((m) => m.mountPath);
    expect(writable).toEqual(["/tmp"]);
  });
});

describe("the spire-server sidecar component", () => {
  it("runs the same container as the Deployment, reading the server's socket instead of the agent's", () => {
    const shape = (c: Container) => ({
      image: c.image,
      args: c.args,
      env: c.env,
      readiness: c.readinessProbe?.httpGet?.path,
      liveness: c.livenessProbe?.httpGet?.path,
      securityContext: c.securityContext,
    });
    expect(shape(sidecar)).toEqual(shape(registrar));
    const mounts = sidecar.volumeMounts?.map((m) => m.mountPath);
    expect(mounts).toContain("/tmp/spire-server/private");
    expect(mounts).not.toContain("/spiffe-workload-api");
  });

  it("is scraped where it listens", () => {
    const port = sidecar.ports?.find((p) => p.name === "registrar-http")?.containerPort;
    expect(sidecar.args).toContain(`--listen=:${port}`);
    expect(sidecarTemplate.metadata?.annotations?.["prometheus.io/port"]).toBe(String(port));
  });
});

describe("RBAC, least privilege per mode", () => {
  it("reconcile mode reads pods, nodes and EndpointSlices and writes nothing", () => {
    expect(rulesOf("deploy/overlays/reconcile/rbac.yaml")).toEqual([
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
    ]);
  });

  it("webhook mode lists pods for the resync, nothing else", () => {
    expect(rulesOf("deploy/overlays/webhook/rbac.yaml")).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["list"] },
    ]);
  });

  it("crd mode writes SpiffeIDs with update, never patch, and reads the rest", () => {
    expect(rulesOf("deploy/overlays/crd/rbac.yaml")).toEqual([
      { apiGroups: [""], resources: ["pods", "nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      {
        apiGroups: ["spiffeid.spiffe.io"],
        resources: ["spiffeids"],
        verbs: ["get", "list", "watch", "create", "update", "delete"],
      },
      {
        apiGroups: ["spiffeid.spiffe.io"],
        resources: ["spiffeids/status", "spiffeids/finalizers"],
        verbs: ["update"],
      },
    ]);
  });

  it("cluster-spiffeid mode reads what a pass is made of and writes only the status of SCM's resources", () => {
    expect(rulesOf("deploy/overlays/cluster-spiffeid/rbac.yaml")).toEqual([
      { apiGroups: [""], resources: ["pods", "namespaces", "nodes"], verbs: ["get", "list", "watch"] },
      { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["get", "list", "watch"] },
      {
        apiGroups: ["spire.spiffe.io"],
        resources: ["clusterspiffeids", "clusterstaticentries", "clusterfederatedtrustdomains"],
        verbs: ["get", "list", "watch"],
      },
      {
        apiGroups: ["spire.spiffe.io"],
        resources: ["clusterspiffeids/status", "clusterstaticentries/status"],
        verbs: ["update", "patch"],
      },
    ]);
    // bound to the registrar's ServiceAccount, labelled so that the spire-server sidecar rebinds it
    const binding = find("deploy/overlays/cluster-spiffeid/rbac.yaml", "ClusterRoleBinding");
    expect(binding.metadata.labels?.["app.kubernetes.io/part-of"]).toBe("k8s-workload-registrar");
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "k8s-workload-registrar", namespace: "spire" },
    ]);
  });

  it("the Lease Role names the Lease of the overlays' controller_name", () => {
    const role = find("deploy/base/lease-rbac.yaml", "Role");
    const named = (role.rules as Rule[]).find((r) => r.resourceNames);
    for (const mode of MODES) {
      const { config } = loadOverlayConfig(`deploy/overlays/${mode}/registrar.conf`);
      expect(named?.resourceNames).toEqual([`${config.controllerName}-leader-election`]);
    }
  });
});

describe("overlay configurations", () => {
  for (const mode of MODES) {
    it(`deploy/overlays/${mode}/registrar.conf is valid, warning-free and sets mode = "${mode}"`, () => {
      const { config, warnings } = loadOverlayConfig(`deploy/overlays/${mode}/registrar.conf`);
      expect(warnings).toEqual([]);
      expect(config.mode).toBe(mode);
    });
  }

  it("the webhook ports the configurations name are the ports the patches open", () => {
    const webhook = loadOverlayConfig("deploy/overlays/webhook/registrar.conf").config;
    const crd = loadOverlayConfig("deploy/overlays/crd/registrar.conf").config;
    const httpsPort = (file: string, kind: string) =>
      templateOf(find(file, kind)).spec.containers[0]?.ports?.find((p) => p.name === "https")?.containerPort;
    if (webhook.mode !== "webhook" || crd.mode !== "crd") throw new Error("unexpected modes");
    const addrPort = Number(webhook.addr.split(":").at(-1));
    expect(httpsPort("deploy/overlays/webhook/admission-port.yaml", "Deployment")).toBe(addrPort);
    expect(httpsPort("deploy/components/spire-server-sidecar-webhook/admission.yaml", "StatefulSet")).toBe(
      addrPort,
    );
    expect(httpsPort("deploy/overlays/crd/webhook-port.yaml", "Deployment")).toBe(crd.webhookPort);
    expect(httpsPort("deploy/components/spire-server-sidecar-crd/spiffeid-webhook.yaml", "StatefulSet")).toBe(
      crd.webhookPort,
    );
  });

  it("the example user overlay's registrar.conf is valid and warning-free", () => {
    expect(loadOverlayConfig("deploy/examples/my-cluster/registrar.conf").warnings).toEqual([]);
  });
});

describe("comments in the manifests and configurations", () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
    );
  const texts = [...files(join(REPO, "deploy")), ...files(join(REPO, "knative"))].filter((path) =>
    /\.(conf|yaml)$/.test(path),
  );

  it("name only documentation files that exist", () => {
    const missing = texts.flatMap((path) =>
      [...readFileSync(path, "utf8").matchAll(/\b((?:docs\/[\w.-]+|README)\.md)\b/g)]
        .map((match) => match[1] as string)
        .filter((doc) => !existsSync(join(REPO, doc)))
        .map((doc) => `${relative(REPO, path)}: ${doc}`),
    );
    expect(missing).toEqual([]);
  });

  it("parse as YAML", () => {
    for (const path of texts.filter((p) => p.endsWith(".yaml")))
      expect(() => readYamlStream(path)).not.toThrow();
  });
});
