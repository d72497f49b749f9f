/**
 * Invariants of the knative/ manifests that the runtimes and the functions depend on, checked on
 * the files themselves (the rendered overlays are checked against real schemas in
 * test/e2e/deploy-manifests.test.ts).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../lib/config/parse-config.js";
import { loadManifests, type Manifest, overlayManifests, REPO } from "./manifest-files.js";

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Probe {
  httpGet?: { path: string; port?: unknown; scheme?: string };
  tcpSocket?: { port: unknown };
}
interface PodSpec {
  serviceAccountName?: string;
  containerConcurrency?: number;
  timeoutSeconds?: number;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
}
interface Rule {
  apiGroups: string[];
  resources: string[];
  resourceNames?: string[];
  verbs: string[];
}

const manifests = loadManifests();
const byKind = (apiVersion: string, kind: string) =>
  manifests.filter((m) => m.apiVersion === apiVersion && m.kind === kind);
const podSpecOf = (m: Manifest) => (m.spec as { template: { spec: PodSpec } }).template.spec;
const annotationsOf = (m: Manifest) =>
  (m.spec as { template: { metadata?: { annotations?: Record<string, string> } } }).template.metadata
    ?.annotations ?? {};

const knativeServices = byKind("serving.knative.dev/v1", "Service");
const deployments = byKind("apps/v1", "Deployment");
const workloads = [...knativeServices, ...deployments];
const CONFIG_DIR = "/run/k8s-workload-registrar";
/** Ports Knative keeps for its own containers (queue-proxy and friends). */
const KNATIVE_RESERVED_PORTS = [8012, 8013, 8022, 9090, 9091, 8008];

describe("Knative Services", () => {
  it("are the event and resync functions", () => {
    expect(knativeServices.map((s) => s.metadata.name).sort()).toEqual([
      "registrar-k8s-events",
      "registrar-resync",
      "registrar-spiffeid-events",
    ]);
  });

  for (const ksvc of knativeServices) {
    describe(ksvc.metadata.name, () => {
      const spec = podSpecOf(ksvc);
      const [container] = spec.containers;

      it("has one container with exactly one port, plain HTTP on 8080 (Knative allows a single port)", () => {
        expect(spec.containers).toHaveLength(1);
        expect(container?.ports).toHaveLength(1);
        const port = container?.ports?.[0];
        expect(port?.containerPort).toBe(8080);
        expect(KNATIVE_RESERVED_PORTS).not.toContain(port?.containerPort);
        expect(["http1", "h2c", undefined]).toContain(port?.name);
      });

      it("probes /readyz for readiness and /healthz for liveness on the serving port", () => {
        expect(container?.readinessProbe?.httpGet?.path).toBe("/readyz");
        expect(container?.livenessProbe?.httpGet?.path).toBe("/healthz");
        // Knative rejects a probe port other than the container port; leaving it out means that port.
        expect(container?.readinessProbe?.httpGet?.port).toBeUndefined();
        expect(container?.livenessProbe?.httpGet?.port).toBeUndefined();
      });

      it("is reachable only inside the cluster", () => {
        expect(ksvc.metadata.labels?.["networking.knative.dev/visibility"]).toBe("cluster-local");
      });

      it("sets its scale bounds, concurrency and timeout", () => {
        const annotations = annotationsOf(ksvc);
        expect(annotations["autoscaling.knative.dev/min-scale"]).toMatch(/^\d+$/);
        expect(annotations["autoscaling.knative.dev/max-scale"]).toMatch(/^\d+$/);
        expect(Number.isInteger(spec.containerConcurrency)).toBe(true);
        expect(spec.timeoutSeconds).toBeGreaterThan(0);
        expect(spec.timeoutSeconds).toBeLessThanOrEqual(600);
      });

      it("keeps event functions warm and lets the resync scale to zero", () => {
        const minScale = annotationsOf(ksvc)["autoscaling.knative.dev/min-scale"];
        expect(minScale).toBe(ksvc.metadata.name === "registrar-resync" ? "0" : "1");
      });
    });
  }
});

describe("every workload (Knative Services and Deployments)", () => {
  const images = new Set(workloads.flatMap((w) => podSpecOf(w).containers.map((c) => c.image)));

  it("uses one image, pinned to a tag", () => {
    expect(images.size).toBe(1);
    expect([...images][0]).toMatch(/:[\w.-]+$/);
  });

  for (const w of workloads) {
    describe(`${w.kind} ${w.metadata.name}`, () => {
      const spec = podSpecOf(w);
      const container = spec.containers[0] as Container;

      it("runs a function that exists, through the image's node entrypoint", () => {
        const [script, ...rest] = container.args ?? [];
        expect(rest).toEqual([]);
        const match = /^dist\/bundle\/functions\/([a-z0-9-]+)\/index\.js$/.exec(script ?? "");
        expect(match, `args of ${w.metadata.name}`).not.toBeNull();
        expect(existsSync(join(REPO, "functions", match?.[1] ?? "", "index.ts"))).toBe(true);
        expect(w.metadata.name).toBe(`registrar-${match?.[1]}`);
      });

      it("reads the registrar configuration from the mounted ConfigMap", () => {
        expect(container.env).toContainEqual({
          name: "REGISTRAR_CONFIG",
          value: `${CONFIG_DIR}/registrar.conf`,
        });
        const mount = container.volumeMounts?.find((m) => m.mountPath === CONFIG_DIR);
        const volume = spec.volumes?.find((v) => v.name === mount?.name);
        expect(volume?.configMap?.name).toBe("k8s-workload-registrar-config");
      });

      it("runs non-root on a read-only root filesystem, writing only to emptyDir volumes", () => {
        const context = { ...spec.securityContext, ...container.securityContext };
        expect(context.readOnlyRootFilesystem).toBe(true);
        expect(context.runAsNonRoot).toBe(true);
        expect(context.allowPrivilegeEscalation).toBe(false);
        expect(container.volumeMounts?.some((m) => m.mountPath === "/tmp")).toBe(true);
        for (const mount of container.volumeMounts ?? []) {
          const volume = spec.volumes?.find((v) => v.name === mount.name);
          expect(volume, `volume ${mount.name}`).toBeDefined();
          // Knative insists on readOnly for everything but emptyDir; it is right for the rest too.
          if (volume?.emptyDir === undefined) expect(mount.readOnly, `mount ${mount.name}`).toBe(true);
        }
      });

      it("has a ServiceAccount of its own", () => {
        expect(spec.serviceAccountName).toBe(w.metadata.name);
        expect(byKind("v1", "ServiceAccount").map((s) => s.metadata.name)).toContain(spec.serviceAccountName);
      });

      it("has readiness and liveness probes", () => {
        expect(container.readinessProbe).toBeDefined();
        expect(container.livenessProbe).toBeDefined();
      });
    });
  }
});

describe("event sources", () => {
  const sources = byKind("sources.knative.dev/v1", "ApiServerSource");
  const ksvcNames = knativeServices.map((s) => s.metadata.name);

  /** "<apiVersion> <kind> -> <sink>" of every ApiServerSource an overlay deploys. */
  const watchedBy = (overlay: string) =>
    overlayManifests(`knative/overlays/${overlay}`)
      .filter((m) => m.kind === "ApiServerSource")
      .flatMap((s) => {
        const spec = s.spec as {
          resources: { apiVersion: string; kind: string }[];
          sink: { ref: { name: string } };
        };
        return spec.resources.map((r) => `${r.apiVersion} ${r.kind} -> ${spec.sink.ref.name}`);
      })
      .sort();

  it("watch Pods, Nodes, EndpointSlices, SpiffeIDs, Namespaces and SCM's kinds, one kind per source", () => {
    const kinds = sources.flatMap((s) =>
      (s.spec as { resources: { apiVersion: string; kind: string }[] }).resources.map(
        (r) => `${r.apiVersion} ${r.kind}`,
      ),
    );
    expect(kinds.sort()).toEqual([
      "discovery.k8s.io/v1 EndpointSlice",
      "spiffeid.spiffe.io/v1beta1 SpiffeID",
      "spire.spiffe.io/v1alpha1 ClusterFederatedTrustDomain",
      "spire.spiffe.io/v1alpha1 ClusterSPIFFEID",
      "spire.spiffe.io/v1alpha1 ClusterStaticEntry",
      "v1 Namespace",
      "v1 Node",
      "v1 Pod",
    ]);
  });

  it("each overlay watches the kinds its mode derives entries from", () => {
    const k8sEvents = ["discovery.k8s.io/v1 EndpointSlice", "v1 Node", "v1 Pod"].map(
      (kind) => `${kind} -> registrar-k8s-events`,
    );
    expect(watchedBy("webhook")).toEqual([]);
    expect(watchedBy("reconcile")).toEqual(k8sEvents.sort());
    expect(watchedBy("crd")).toEqual(
      [...k8sEvents, "spiffeid.spiffe.io/v1beta1 SpiffeID -> registrar-spiffeid-events"].sort(),
    );
    // cluster-spiffeid: everything to k8s-events, which routes by kind
    expect(watchedBy("cluster-spiffeid")).toEqual(
      [
        ...k8sEvents,
        "v1 Namespace -> registrar-k8s-events",
        "spire.spiffe.io/v1alpha1 ClusterSPIFFEID -> registrar-k8s-events",
        "spire.spiffe.io/v1alpha1 ClusterStaticEntry -> registrar-k8s-events",
        "spire.spiffe.io/v1alpha1 ClusterFederatedTrustDomain -> registrar-k8s-events",
      ].sort(),
    );
  });

  for (const source of sources) {
    it(`${source.metadata.name} sends references from every namespace to a function, as its own identity`, () => {
      const spec = source.spec as {
        mode: string;
        serviceAccountName: string;
        namespaceSelector?: object;
        sink: { ref: { apiVersion: string; kind: string; name: string } };
      };
      expect(spec.mode).toBe("Reference");
      // nil watches only the source's namespace; {} watches all
      expect(spec.namespaceSelector).toEqual({});
      expect(spec.serviceAccountName).toBe("registrar-event-source");
      expect(spec.sink.ref.apiVersion).toBe("serving.knative.dev/v1");
      expect(ksvcNames).toContain(spec.sink.ref.name);
    });
  }

  it("SpiffeID events go to spiffeid-events, everything else to k8s-events", () => {
    for (const source of sources) {
      const spec = source.spec as { resources: { kind: string }[]; sink: { ref: { name: string } } };
      const expected =
        spec.resources[0]?.kind === "SpiffeID" ? "registrar-spiffeid-events" : "registrar-k8s-events";
      expect(spec.sink.ref.name).toBe(expected);
    }
  });

  it("the resync is triggered every 5 minutes by default", () => {
    const [ping, ...others] = byKind("sources.knative.dev/v1", "PingSource");
    expect(others).toEqual([]);
    const spec = ping?.spec as { schedule: string; sink: { ref: { name: string } } };
    expect(spec.schedule).toBe("*/5 * * * *");
    expect(spec.sink.ref.name).toBe("registrar-resync");
  });
});

describe("RBAC is least privilege", () => {
  const roleRules = (within: readonly Manifest[], kind: "ClusterRole" | "Role", name: string): Rule[] =>
    (within.find((m) => m.kind === kind && m.metadata.name === name)?.rules as Rule[] | undefined) ?? [];
  const boundTo = (serviceAccount: string) =>
    manifests
      .filter((m) => m.kind === "ClusterRoleBinding" || m.kind === "RoleBinding")
      .filter((b) => (b.subjects as { name: string }[]).some((s) => s.name === serviceAccount))
      .map((b) => (b.roleRef as { kind: string; name: string }).name)
      .sort();

  /** The grants of several lists together, each once, sorted. */
  const union = (...lists: readonly string[][]) => [...new Set(lists.flat())].sort();

  /**
   * Every (group, resource, verb) a ServiceAccount is granted by the manifests of one overlay, with
   * resource names when limited; each once, however many of its roles grant it.
   */
  const grants = (overlay: string, serviceAccount: string) => {
    const within = overlayManifests(`knative/overlays/${overlay}`);
    const granted = within
      .filter((m) => m.kind === "ClusterRoleBinding" || m.kind === "RoleBinding")
      .filter((b) => (b.subjects as { name: string }[]).some((s) => s.name === serviceAccount))
      .flatMap((b) => {
        const ref = b.roleRef as { kind: "ClusterRole" | "Role"; name: string };
        return roleRules(within, ref.kind, ref.name).flatMap((rule) =>
          rule.apiGroups.flatMap((group) =>
            rule.resources.flatMap((resource) =>
              rule.verbs.map(
                (verb) =>
                  `${group || "core"}/${resource} ${verb}${rule.resourceNames ? ` [${rule.resourceNames.join(",")}]` : ""}`,
              ),
            ),
          ),
        );
      });
    return union(granted);
  };
  const LEASE = [
    "coordination.k8s.io/leases create",
    "coordination.k8s.io/leases get [spire-k8s-registrar-leader-election]",
    "coordination.k8s.io/leases update [spire-k8s-registrar-leader-election]",
  ];
  const SPIFFEID_WRITER = [
    "spiffeid.spiffe.io/spiffeids create",
    "spiffeid.spiffe.io/spiffeids delete",
    "spiffeid.spiffe.io/spiffeids get",
    "spiffeid.spiffe.io/spiffeids list",
    "spiffeid.spiffe.io/spiffeids update",
    "spiffeid.spiffe.io/spiffeids/finalizers update",
    "spiffeid.spiffe.io/spiffeids/status update",
  ];
  const K8S_EVENTS = [
    "discovery.k8s.io/endpointslices get",
    "discovery.k8s.io/endpointslices list",
    "core/nodes get",
    "core/pods get",
  ];
  const RESYNC = ["discovery.k8s.io/endpointslices list", "core/nodes list", "core/pods list"];
  /** cluster-spiffeid: what a pass reads (both functions). */
  const SCM_READER = [
    "core/namespaces get",
    "core/namespaces list",
    "core/nodes get",
    "core/nodes list",
    "core/pods get",
    "core/pods list",
    "discovery.k8s.io/endpointslices get",
    "discovery.k8s.io/endpointslices list",
    "spire.spiffe.io/clusterfederatedtrustdomains get",
    "spire.spiffe.io/clusterfederatedtrustdomains list",
    "spire.spiffe.io/clusterspiffeids get",
    "spire.spiffe.io/clusterspiffeids list",
    "spire.spiffe.io/clusterstaticentries get",
    "spire.spiffe.io/clusterstaticentries list",
  ];

  it("no rule uses wildcards", () => {
    const rules = manifests
      .filter((m) => m.kind === "ClusterRole" || m.kind === "Role")
      .flatMap((r) => r.rules as Rule[]);
    for (const rule of rules) {
      expect([...rule.verbs, ...rule.resources, ...rule.apiGroups]).not.toContain("*");
    }
  });

  it("k8s-events reads the object an event names (and writes SpiffeIDs in crd mode)", () => {
    expect(grants("reconcile", "registrar-k8s-events")).toEqual(union(K8S_EVENTS));
    expect(grants("crd", "registrar-k8s-events")).toEqual(union(K8S_EVENTS, SPIFFEID_WRITER));
    // cluster-spiffeid: reads, no writes (the resync writes the status)
    expect(grants("cluster-spiffeid", "registrar-k8s-events")).toEqual(union(K8S_EVENTS, SCM_READER));
  });

  it("resync lists, and holds only its own Lease", () => {
    for (const overlay of ["reconcile", "webhook"])
      expect(grants(overlay, "registrar-resync"), overlay).toEqual(union(LEASE, RESYNC));
    expect(grants("crd", "registrar-resync")).toEqual(union(LEASE, RESYNC, SPIFFEID_WRITER));
    expect(grants("cluster-spiffeid", "registrar-resync")).toEqual(
      union(LEASE, RESYNC, SCM_READER, [
        "spire.spiffe.io/clusterspiffeids/status patch",
        "spire.spiffe.io/clusterspiffeids/status update",
        "spire.spiffe.io/clusterstaticentries/status patch",
        "spire.spiffe.io/clusterstaticentries/status update",
      ]),
    );
    const lease = manifests.find((m) => m.kind === "Role" && m.metadata.name.includes("lease"));
    expect(lease?.metadata.namespace).toBe("spire");
  });

  it("spiffeid-events reads and updates SpiffeIDs, their status and finalizers", () => {
    expect(grants("crd", "registrar-spiffeid-events")).toEqual([
      "spiffeid.spiffe.io/spiffeids get",
      "spiffeid.spiffe.io/spiffeids update",
      "spiffeid.spiffe.io/spiffeids/finalizers update",
      "spiffeid.spiffe.io/spiffeids/status update",
    ]);
  });

  it("the event sources' identity only watches, exactly the kinds its overlay's sources name", () => {
    for (const overlay of ["reconcile", "crd", "cluster-spiffeid"]) {
      const within = overlayManifests(`knative/overlays/${overlay}`);
      // the kinds here all pluralize regularly: pods, endpointslices, clusterstaticentries, ...
      const plural = (kind: string) => `${kind.toLowerCase().replace(/y$/, "ie")}s`;
      const watched = within
        .filter((m) => m.kind === "ApiServerSource")
        .flatMap((s) => (s.spec as { resources: { apiVersion: string; kind: string }[] }).resources)
        .flatMap((r) => {
          const group = r.apiVersion.includes("/") ? r.apiVersion.split("/")[0] : "core";
          return ["get", "list", "watch"].map((verb) => `${group}/${plural(r.kind)} ${verb}`);
        });
      expect(grants(overlay, "registrar-event-source"), overlay).toEqual(union(watched));
    }
  });

  it("the webhooks have no Kubernetes permissions at all", () => {
    expect(boundTo("registrar-pod-admission")).toEqual([]);
    expect(boundTo("registrar-spiffeid-validation")).toEqual([]);
  });
});

describe("webhook Deployments", () => {
  const deployment = (name: string) => deployments.find((d) => d.metadata.name === name) as Manifest;
  const servicesFor = (name: string) =>
    byKind("v1", "Service").filter(
      (s) => (s.spec as { selector: Record<string, string> }).selector["app.kubernetes.io/name"] === name,
    );

  it("pod-admission: Service 443 -> the addr port, probed and scraped over plain HTTP on metrics_addr", () => {
    const container = podSpecOf(deployment("registrar-pod-admission")).containers[0] as Container;
    const metricsPort = Number(loadOverlayConfig("webhook").metricsAddr.split(":").at(-1));
    expect(container.ports).toEqual([
      { name: "https", containerPort: 8443 },
      { name: "http", containerPort: metricsPort },
    ]);
    expect(container.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(container.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(annotationsOf(deployment("registrar-pod-admission"))["prometheus.io/port"]).toBe(
      String(metricsPort),
    );
    const [service] = servicesFor("registrar-pod-admission");
    expect(service?.metadata.name).toBe("k8s-workload-registrar");
    expect((service?.spec as { ports: unknown[] } | undefined)?.ports).toEqual([
      { name: "https", port: 443, targetPort: "https" },
    ]);
  });

  it("pod-admission mounts generate-config's ConfigMap and Secret where registrar.conf looks", () => {
    const spec = podSpecOf(deployment("registrar-pod-admission"));
    const config = loadOverlayConfig("webhook");
    const mountOf = (source: (v: Record<string, unknown>) => boolean) => {
      const volume = (spec.volumes as Record<string, unknown>[] | undefined)?.find(source);
      return spec.containers[0]?.volumeMounts?.find((m) => m.name === volume?.name)?.mountPath;
    };
    const certs = mountOf(
      (v) => (v.configMap as { name?: string } | undefined)?.name === "k8s-workload-registrar-certs",
    );
    const secret = mountOf(
      (v) =>
        (v.secret as { secretName?: string } | undefined)?.secretName === "k8s-workload-registrar-secret",
    );
    expect(config.certPath).toBe(`${certs}/server-cert.pem`);
    expect(config.caCertPath).toBe(`${certs}/cacert.pem`);
    expect(config.keyPath).toBe(`${secret}/server-key.pem`);
    expect(config.addr).toBe(":8443");
  });

  it("spiffeid-validation: Service 443 -> webhook_port, a writable webhook_cert_dir, the downward-API namespace", () => {
    const spec = podSpecOf(deployment("registrar-spiffeid-validation"));
    const container = spec.containers[0] as Container;
    const config = loadOverlayConfig("crd");
    const metricsPort = Number(config.metricsBindAddr.split(":").at(-1));
    expect(container.ports).toEqual([
      { name: "https", containerPort: config.webhookPort },
      { name: "http", containerPort: metricsPort },
    ]);
    expect(container.readinessProbe?.httpGet).toEqual({ port: "http", path: "/readyz" });
    expect(container.livenessProbe?.httpGet).toEqual({ port: "http", path: "/healthz" });
    const certMount = container.volumeMounts?.find((m) => m.mountPath === config.webhookCertDir);
    expect(spec.volumes?.find((v) => v.name === certMount?.name)?.emptyDir).toBeDefined();
    expect(container.env?.map((e) => e.name)).toContain("MY_POD_NAMESPACE");
    const [service] = servicesFor("registrar-spiffeid-validation");
    expect(service?.metadata.name).toBe(config.webhookServiceName);
    expect((service?.spec as { ports: unknown[] } | undefined)?.ports).toEqual([
      { name: "https", port: 443, targetPort: "https" },
    ]);
  });

  it("the SpiffeID webhook configuration carries the label SPIRE's k8sbundle notifier looks for", () => {
    const vwc = manifests.find(
      (m) => m.kind === "ValidatingWebhookConfiguration" && m.metadata.name === "k8s-workload-registrar",
    );
    expect(vwc?.metadata.labels?.["spiffe.io/webhook"]).toBe("true");
    const [webhook] = (vwc?.webhooks ?? []) as {
      clientConfig: { service: { name: string; path: string; port: number } };
      sideEffects: string;
    }[];
    expect(webhook?.clientConfig.service).toMatchObject({
      name: "k8s-workload-registrar",
      path: "/validate-spiffeid-spiffe-io-v1beta1-spiffeid",
      port: 443,
    });
    expect(webhook?.sideEffects).toBe("None");
  });

  it("the pod webhook template is generate-config's configuration without the caBundle", () => {
    const vwc = manifests.find(
      (m) =>
        m.kind === "ValidatingWebhookConfiguration" && m.metadata.name === "k8s-workload-registrar-webhook",
    );
    const [webhook] = (vwc?.webhooks ?? []) as {
      name: string;
      clientConfig: Record<string, unknown>;
      failurePolicy: string;
    }[];
    expect(webhook?.name).toBe("k8s-workload-registrar.spire.svc");
    expect(webhook?.clientConfig.caBundle).toBeUndefined();
    expect(webhook?.clientConfig.service).toEqual({
      name: "k8s-workload-registrar",
      namespace: "spire",
      path: "/validate",
      port: 443,
    });
    expect(webhook?.failurePolicy).toBe("Ignore");
  });
});

describe("overlay configurations", () => {
  for (const overlay of ["reconcile", "webhook", "crd"] as const) {
    it(`${overlay}/registrar.conf is valid, warning-free and sets mode = "${overlay}"`, () => {
      const loaded = loadConfig(join(REPO, "knative/overlays", overlay, "registrar.conf"));
      if (!loaded.ok) throw new Error(loaded.error.join("\n"));
      expect(loaded.value.warnings).toEqual([]);
      expect(loaded.value.config.mode).toBe(overlay);
      // path (b): the agent socket from the SPIFFE CSI volume mounted at /spiffe-workload-api
      expect(loaded.value.config.agentSocketPath).toMatch(/^\/spiffe-workload-api\//);
      // the Lease the resync Role names
      expect(`${loaded.value.config.controllerName}-leader-election`).toBe(
        "spire-k8s-registrar-leader-election",
      );
    });
  }
});

function loadOverlayConfig(overlay: string) {
  const loaded = loadConfig(join(REPO, "knative/overlays", overlay, "registrar.conf"));
  if (!loaded.ok) throw new Error(loaded.error.join("\n"));
  return loaded.value.config;
}
