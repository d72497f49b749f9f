/**
 * The deployment manifests against real schemas: every overlay of knative/ and deploy/ is rendered with the
 * kustomize binary; every Knative resource (Service, ApiServerSource, PingSource) is validated with
 * the Knative CRD schemas of @kubernetes-models/knative; every other resource goes to a real
 * kube-apiserver with a server-side dry run, so its built-in validation (and the SpiffeID CRD's
 * structural-schema checks) has the last word. Also rendered: the documented variants (the
 * webhook caBundle patch from `generate-config`, the server-socket component, a schedule patch, the
 * spire-server sidecar component, the PodMonitor component, the example user overlay copied out of
 * the repository).
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
  type KubernetesObject,
  KubernetesObjectApi,
  PatchStrategy,
} from "@kubernetes/client-node";
import { Service } from "@kubernetes-models/knative/serving.knative.dev/v1";
import { ApiServerSource, PingSource } from "@kubernetes-models/knative/sources.knative.dev/v1";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { generateConfig } from "../../lib/generate-config/generate-config.js";
import { resolveOptions } from "../../lib/generate-config/options.js";
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { peersDir, skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs, waitUntil } from "./harness/process.js";

const run = promisify(execFile);
const REPO = new URL("../..", import.meta.url).pathname;
const OVERLAYS = ["reconcile", "webhook", "crd"] as const;
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
  const objects = (): KubernetesObjectApi => {
    if (plane === undefined) throw new Error("control plane did not start (see beforeAll)");
    return KubernetesObjectApi.makeApiClient(plane.kubeConfig);
  };

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

  /** Applies the SpiffeID CRD for real, so the dry run of anything naming SpiffeIDs sees the kind. */
  async function establishCrd(rendered: readonly KubernetesObject[]): Promise<void> {
    const crd = rendered.find((o) => o.kind === "CustomResourceDefinition");
    expect(crd).toBeDefined();
    await objects().patch(
      crd as KubernetesObject,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );
    const extensions = plane?.kubeConfig.makeApiClient(ApiextensionsV1Api);
    await waitUntil(
      async () => {
        const read = await extensions?.readCustomResourceDefinition({
          name: "spiffeids.spiffeid.spiffe.io",
        });
        return (
          read?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false
        );
      },
      { what: "SpiffeID CRD Established", timeoutMs: 30_000 },
    );
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

      if (overlay === "crd") await establishCrd(rendered);
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
      if (overlay === "crd") await establishCrd(rendered);
      await checkAgainstSchemas(rendered.filter((o) => o.kind !== "CustomResourceDefinition"));
    });
  }

  for (const overlay of OVERLAYS) {
    it(`deploy/components/spire-server-sidecar (${overlay}): the registrar joins the spire-server pod and shares its socket`, async () => {
      const components = ["deploy/components/spire-server-sidecar"];
      if (overlay !== "reconcile") components.push(`deploy/components/spire-server-sidecar-${overlay}`);
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
      if (overlay === "crd") await establishCrd(rendered);
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
});
