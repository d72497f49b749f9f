/**
 * The scale benchmark's work on the living cluster, done as users do it and sized for 50,000 pods:
 * namespaces and Deployments created with bounded concurrency, rollouts waited for by polling the
 * Deployments' status (small objects) instead of the pods, pods listed in pages reduced to their
 * facts as each page arrives, the churn a change of the pod template's service account, and whole
 * namespaces deleted (kube-controller-manager then removes what is in them).
 */
import { type KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment } from "@kubernetes/client-node";
import type { KubeClient } from "../../../lib/k8s/kube-client.js";
import { waitUntil } from "../../e2e/harness/process.js";
import { deploymentBody, rolledOutTo, workloads } from "../../e2e/support/workloads.js";
import { inParallel } from "../compare/kube-api.js";
import { type PodFacts, podFacts } from "./expected-entries.js";
import type { PlannedDeployment, WorkloadPlan } from "./workload-plan.js";

/** The service account the churn moves Deployments to (created beforehand in their namespaces). */
export const CHURN_SERVICE_ACCOUNT = "churned";
/** Kubernetes' own default rollout: a quarter of the replicas surged and a quarter unavailable. */
const ROLLING_UPDATE = { maxSurge: "25%", maxUnavailable: "25%" };
const PAGE_SIZE = 1000;
const POLL_MS = 2_000;

/** Namespaces (each ready for pods), the churn's service accounts, then every Deployment. */
export async function createWorkload(
  kubeConfig: KubeConfig,
  plan: WorkloadPlan,
  inflight: number,
): Promise<void> {
  const w = workloads(kubeConfig);
  await inParallel(plan.namespaces, inflight, (namespace) => w.createNamespace(namespace));
  const churnNamespaces = [...new Set(plan.churned.map((d) => d.namespace))];
  await inParallel(churnNamespaces, inflight, (namespace) =>
    w.createServiceAccount(namespace, CHURN_SERVICE_ACCOUNT),
  );
  await inParallel(plan.deployments, inflight, (d) =>
    w.apps.createNamespacedDeployment({
      namespace: d.namespace,
      body: deploymentBody(d.name, d.replicas, { labels: { app: d.name } }, ROLLING_UPDATE),
    }),
  );
}

/** How far a set of rollouts has got. */
export interface RolloutProgress {
  readonly done: number;
  readonly total: number;
  /** Available pods of those Deployments, and how many they want. */
  readonly available: number;
  readonly wanted: number;
}

/**
 * Polls the Deployments of `deployments` until every one has rolled out (as `kubectl rollout
 * status`); `progress` always holds the latest reading.
 */
export async function waitForRollouts(
  kube: KubeClient,
  deployments: readonly PlannedDeployment[],
  timeoutMs: number,
  progress: { current?: RolloutProgress },
): Promise<void> {
  const wanted = new Map(deployments.map((d) => [`${d.namespace}/${d.name}`, d.replicas]));
  const total = [...wanted.values()].reduce((sum, n) => sum + n, 0);
  await waitUntil(
    async () => {
      const listed = await kube.list<V1Deployment>(
        { verb: "list", resource: "deployments" },
        "/apis/apps/v1/deployments",
        { pageSize: PAGE_SIZE },
      );
      let done = 0;
      let available = 0;
      for (const d of listed.items) {
        const replicas = wanted.get(`${d.metadata?.namespace}/${d.metadata?.name}`);
        if (replicas === undefined) continue;
        available += Math.min(d.status?.availableReplicas ?? 0, replicas);
        if (rolledOutTo(d, replicas)) done++;
      }
      progress.current = { done, total: wanted.size, available, wanted: total };
      return done === wanted.size;
    },
    { what: `${deployments.length} Deployments rolled out`, timeoutMs, intervalMs: POLL_MS },
  );
}

/** Every pod of the cluster (or of one namespace's Deployment, by `labelSelector`), as facts. */
export async function listPodFacts(
  kube: KubeClient,
  scope: { namespace: string; labelSelector: string } | undefined = undefined,
): Promise<PodFacts[]> {
  const path = scope ? `/api/v1/namespaces/${scope.namespace}/pods` : "/api/v1/pods";
  const listed = await kube.list({ verb: "list", resource: "pods" }, path, {
    pageSize: PAGE_SIZE,
    map: podFacts,
    ...(scope ? { query: { labelSelector: scope.labelSelector } } : {}),
  });
  return listed.items;
}

/** The pods of the Deployments (`app=<name>` in their namespaces). */
export async function podsOf(
  kube: KubeClient,
  deployments: readonly PlannedDeployment[],
  inflight: number,
): Promise<PodFacts[]> {
  const pods: PodFacts[] = [];
  await inParallel(deployments, inflight, async (d) => {
    pods.push(...(await listPodFacts(kube, { namespace: d.namespace, labelSelector: `app=${d.name}` })));
  });
  return pods;
}

/** Moves the Deployments' pods to another service account: a rolling update of each. */
export async function setServiceAccount(
  kubeConfig: KubeConfig,
  deployments: readonly PlannedDeployment[],
  serviceAccount: string,
  inflight: number,
): Promise<void> {
  const { apps } = workloads(kubeConfig);
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
  await inParallel(deployments, inflight, (d) =>
    apps.patchNamespacedDeployment(
      {
        namespace: d.namespace,
        name: d.name,
        body: { spec: { template: { spec: { serviceAccountName: serviceAccount } } } },
      },
      mergePatch,
    ),
  );
}

/** Deletes the namespaces (not waiting: their pods go as kube-controller-manager removes them). */
export async function deleteNamespaces(
  kubeConfig: KubeConfig,
  names: readonly string[],
  inflight: number,
): Promise<void> {
  const { core } = workloads(kubeConfig);
  await inParallel(names, inflight, (name) => core.deleteNamespace({ name }));
}
