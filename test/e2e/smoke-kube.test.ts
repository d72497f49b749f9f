import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiextensionsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../lib/k8s/errors.js";
import { createKubeClient } from "../../lib/k8s/kube-client.js";
import { loadKubeconfig } from "../../lib/k8s/kubeconfig.js";
import { createClusterReader } from "../../lib/k8s/reader.js";
import { type ControlPlane, startControlPlane } from "./harness/kube.js";
import { skipWithoutPeers } from "./harness/peers.js";
import { printPeerLogs, waitUntil } from "./harness/process.js";

function podIn(namespace: string, name: string): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace, labels: { app: "smoke" } },
    spec: {
      serviceAccountName: "smoke-sa",
      containers: [{ name: "main", image: "registry.invalid/smoke:1" }],
    },
  };
}

describe.skipIf(skipWithoutPeers(["etcd", "kube-apiserver"]))("kube-apiserver + etcd smoke", () => {
  let plane: ControlPlane | undefined;
  const cluster = (): ControlPlane => {
    if (plane === undefined) throw new Error("control plane did not start (see beforeAll)");
    return plane;
  };

  beforeAll(async () => {
    plane = await startControlPlane();
  });
  beforeEach(({ onTestFailed }) => {
    onTestFailed(printPeerLogs);
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("creates a Namespace, a Node and a Pod and reads them back (no scheduler: the pod stays Pending)", async () => {
    const core = cluster().kubeConfig.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "smoke" } } });
    await core.createNode({ body: { metadata: { name: "node-a", labels: { zone: "z1" } } } });
    await core.createNamespacedPod({ namespace: "smoke", body: podIn("smoke", "p1") });

    expect((await core.readNamespace({ name: "smoke" })).metadata?.name).toBe("smoke");
    expect((await core.readNode({ name: "node-a" })).metadata?.labels?.zone).toBe("z1");
    const pod = await core.readNamespacedPod({ namespace: "smoke", name: "p1" });
    expect(pod.spec?.nodeName).toBeUndefined();
    expect(pod.status?.phase).toBe("Pending");
    expect(pod.spec?.serviceAccountName).toBe("smoke-sa");
    expect(pod.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a watch sees a label patch on a pod", async () => {
    const kubeConfig = cluster().kubeConfig;
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({
      namespace: "default",
      body: podIn("default", "watched"),
    });

    let seen: { type: string; labels: Record<string, string> | undefined } | undefined;
    let watchError: unknown;
    const controller = await new Watch(kubeConfig).watch(
      "/api/v1/namespaces/default/pods",
      { resourceVersion: created.metadata?.resourceVersion, fieldSelector: "metadata.name=watched" },
      (type, pod: V1Pod) => {
        if (pod.metadata?.labels?.tier === "gold") seen = { type, labels: pod.metadata.labels };
      },
      (error) => {
        watchError = error;
      },
    );
    try {
      await core.patchNamespacedPod(
        { namespace: "default", name: "watched", body: { metadata: { labels: { tier: "gold" } } } },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      );
      await waitUntil(async () => seen !== undefined || watchError !== undefined, {
        what: "watch event for the label patch",
        timeoutMs: 20_000,
        intervalMs: 100,
      });
      // checked before abort(): aborting ends the watch with an AbortError by design
      expect(watchError).toBeUndefined();
      expect(seen).toEqual({ type: "MODIFIED", labels: { app: "smoke", tier: "gold" } });
    } finally {
      controller.abort();
    }
  });

  it("serves a namespaced CRD with a status subresource", async () => {
    const kubeConfig = cluster().kubeConfig;
    const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
    const custom = kubeConfig.makeApiClient(CustomObjectsApi);
    const widgets = { group: "e2e.example.org", version: "v1", namespace: "default", plural: "widgets" };

    await extensions.createCustomResourceDefinition({
      body: {
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.e2e.example.org" },
        spec: {
          group: "e2e.example.org",
          scope: "Namespaced",
          names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              subresources: { status: {} },
              schema: {
                openAPIV3Schema: {
                  type: "object",
                  properties: {
                    spec: { type: "object", properties: { size: { type: "integer" } } },
                    status: { type: "object", properties: { phase: { type: "string" } } },
                  },
                },
              },
            },
          ],
        },
      },
    });
    await waitUntil(
      async () => {
        const crd = await extensions.readCustomResourceDefinition({ name: "widgets.e2e.example.org" });
        return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      },
      { what: "CRD widgets.e2e.example.org Established", timeoutMs: 30_000 },
    );

    // Established can precede the resource's handler by a moment: retry the first create
    let created: { metadata?: { name?: string }; status?: unknown } | undefined;
    await waitUntil(
      async () => {
        created = await custom.createNamespacedCustomObject({
          ...widgets,
          body: {
            apiVersion: "e2e.example.org/v1",
            kind: "Widget",
            metadata: { name: "w1" },
            spec: { size: 3 },
            status: { phase: "Ignored" },
          },
        });
        return true;
      },
      { what: "create Widget w1", timeoutMs: 15_000 },
    );
    // with the status subresource on, status in a main-resource write is dropped
    expect(created?.status).toBeUndefined();

    await custom.replaceNamespacedCustomObjectStatus({
      ...widgets,
      name: "w1",
      body: { ...(created as object), status: { phase: "Ready" } },
    });
    const read = await custom.getNamespacedCustomObject({ ...widgets, name: "w1" });
    expect(read.status).toEqual({ phase: "Ready" });
    expect(read.spec).toEqual({ size: 3 });
  });
  it("the registrar's client authenticates with a service-account token file and names missing RBAC", async () => {
    const { kube, runDir, server, pki } = cluster();
    const sa = { verb: "create", resource: "serviceaccounts", namespace: "default" };
    await kube.request(sa, {
      method: "POST",
      path: "/api/v1/namespaces/default/serviceaccounts",
      body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "registrar" } },
    });
    const issued = await kube.request<{ status: { token: string } }>(
      { ...sa, resource: "serviceaccounts/token", name: "registrar" },
      {
        method: "POST",
        path: "/api/v1/namespaces/default/serviceaccounts/registrar/token",
        body: {
          apiVersion: "authentication.k8s.io/v1",
          kind: "TokenRequest",
          spec: { expirationSeconds: 600 },
        },
      },
    );
    await writeFile(join(runDir, "registrar.token"), issued.status.token);
    const kubeconfigPath = join(runDir, "registrar.kubeconfig");
    await writeFile(
      kubeconfigPath,
      JSON.stringify({
        clusters: [{ name: "e2e", cluster: { server, "certificate-authority": pki.ca.certPath } }],
        users: [{ name: "registrar", user: { tokenFile: "registrar.token" } }],
        contexts: [{ name: "e2e", context: { cluster: "e2e", user: "registrar" } }],
        "current-context": "e2e",
      }),
    );
    const target = loadKubeconfig({ path: kubeconfigPath });
    if (!target.ok) throw new Error(target.error);
    const client = createKubeClient(target.value);
    try {
      const reader = createClusterReader(client);
      const forbidden = await reader.listPods().catch((error: unknown) => error);
      expect(forbidden).toBeInstanceOf(KubeApiError);
      expect((forbidden as Error).message).toMatch(
        /^forbidden: cannot list pods \(all namespaces\): the registrar's service account needs RBAC permission "list" on "pods" \(pods is forbidden: User "system:serviceaccount:default:registrar" cannot list/,
      );

      const rbac = { verb: "create", resource: "clusterroles" };
      await kube.request(rbac, {
        method: "POST",
        path: "/apis/rbac.authorization.k8s.io/v1/clusterroles",
        body: {
          metadata: { name: "smoke-pod-reader" },
          rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["list"] }],
        },
      });
      await kube.request(
        { ...rbac, resource: "clusterrolebindings" },
        {
          method: "POST",
          path: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
          body: {
            metadata: { name: "smoke-pod-reader" },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "smoke-pod-reader" },
            subjects: [{ kind: "ServiceAccount", name: "registrar", namespace: "default" }],
          },
        },
      );
      await waitUntil(async () => (await reader.listPods().catch(() => undefined)) !== undefined, {
        what: "the RoleBinding to take effect",
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      expect((await reader.listPods()).map((pod) => pod.metadata?.name)).toContain("p1");
    } finally {
      client.close();
    }
  });
});
