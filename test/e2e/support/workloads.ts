/**
 * Workloads on the living cluster (harness/cluster.ts), made as users make them: namespaces,
 * ServiceAccounts, Deployments, StatefulSets, Jobs and Services. Nothing here sets a pod's node or
 * status: the scheduler, kwok and the controllers do. The helpers wait for what a user would wait
 * for (`kubectl rollout status`, `kubectl wait`), then return the pods as the API serves them.
 */
import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Deployment,
  type V1Pod,
  type V1PodSpec,
  type V1PodTemplateSpec,
  type V1RollingUpdateDeployment,
} from "@kubernetes/client-node";
import { waitForDefaultServiceAccount } from "../harness/cluster.js";
import { eventually } from "./eventually.js";

/** How long a workload may take to settle: the controllers and kwok act within a second or two. */
const SETTLE_TIMEOUT_MS = 60_000;
/** A readiness gate nothing in the living cluster sets (kwok-stages.ts keeps such pods not Ready). */
const NEVER_SET_GATE = "example.com/never-set";
/** A node label no node has, for pods the scheduler cannot place. */
const NO_NODE_LABEL = "example.com/no-such-node";

type PodSpecExtra = Pick<V1PodSpec, "readinessGates" | "nodeSelector">;

export interface PodTemplateInput {
  /** Labels of the pods (and the workload's selector). */
  readonly labels: Record<string, string>;
  readonly serviceAccount?: string;
  readonly annotations?: Record<string, string>;
}

export interface Workloads {
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  /** A namespace, ready for pods (its "default" ServiceAccount exists). */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Deletes a namespace and waits until it and everything in it are gone. */
  deleteNamespace(name: string): Promise<void>;
  createServiceAccount(namespace: string, name: string): Promise<void>;
  /** A bare pod, as `kubectl run` makes it; returns it once it is scheduled and Running with an IP. */
  runPod(namespace: string, name: string, pod?: Partial<PodTemplateInput>): Promise<V1Pod>;
  /**
   * A bare pod with a readiness gate nobody sets: returns it once it is Running with an IP but not
   * Ready (its Services list it as a not-ready endpoint).
   */
  runUnreadyPod(namespace: string, name: string, pod?: Partial<PodTemplateInput>): Promise<V1Pod>;
  /**
   * A bare pod whose nodeSelector no node matches: returns it once the scheduler has found it
   * Unschedulable (it stays Pending, with no node).
   */
  createUnschedulablePod(namespace: string, name: string, pod?: Partial<PodTemplateInput>): Promise<V1Pod>;
  createDeployment(
    namespace: string,
    name: string,
    replicas: number,
    pod: PodTemplateInput,
  ): Promise<V1Pod[]>;
  /** Scales a Deployment and waits until exactly `replicas` of its pods are Running (and none terminating). */
  scaleDeployment(namespace: string, name: string, replicas: number): Promise<V1Pod[]>;
  /** Changes the pods' ServiceAccount: a rolling update; waits for the rollout to finish. */
  setDeploymentServiceAccount(namespace: string, name: string, serviceAccount: string): Promise<V1Pod[]>;
  /** A StatefulSet with its headless Service (`serviceName` = the StatefulSet's name). */
  createStatefulSet(
    namespace: string,
    name: string,
    replicas: number,
    pod: PodTemplateInput,
  ): Promise<V1Pod[]>;
  /** A Job of `completions` pods; returns its pods (Succeeded) once the Job is Complete. */
  runJob(namespace: string, name: string, completions: number, pod: PodTemplateInput): Promise<V1Pod[]>;
  /** A ClusterIP Service selecting `selector`, on port 80. */
  createService(namespace: string, name: string, selector: Record<string, string>): Promise<void>;
  /** Changes a pod's labels (e.g. to take it out of a Service's selector). */
  labelPod(namespace: string, name: string, labels: Record<string, string | null>): Promise<void>;
  /**
   * Deletes a pod gracefully (its grace period) and waits until that pod is gone (a StatefulSet may
   * already have made a new one of the same name).
   */
  deletePod(namespace: string, name: string): Promise<void>;
  /** Marks a node (un)schedulable, as `kubectl cordon` / `uncordon` do. */
  setUnschedulable(name: string, unschedulable: boolean): Promise<void>;
  /** Cordons a node and evicts its pods (as `kubectl drain` does); waits until none is left on it. */
  drainNode(name: string): Promise<void>;
  deleteNode(name: string): Promise<void>;
  /** The Running, not-terminating pods matching `selector`, once there are exactly `count`. */
  runningPods(namespace: string, selector: Record<string, string>, count: number): Promise<V1Pod[]>;
  /**
   * The names of the pods a Service's EndpointSlices list as ready, once they equal `expected` (and,
   * when `notReady` is given, the names of those listed as not ready equal it).
   */
  serviceTargets(
    namespace: string,
    service: string,
    expected: readonly string[],
    notReady?: readonly string[],
  ): Promise<string[]>;
}

export function workloads(kubeConfig: KubeConfig): Workloads {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const apps = kubeConfig.makeApiClient(AppsV1Api);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

  const runningPods = (namespace: string, selector: Record<string, string>, count: number) =>
    eventually(
      async () => {
        const listed = await core.listNamespacedPod({ namespace, labelSelector: labelSelector(selector) });
        const running = listed.items.filter(
          (pod) =>
            pod.status?.phase === "Running" &&
            pod.status.podIP !== undefined &&
            !pod.metadata?.deletionTimestamp,
        );
        if (running.length !== count || listed.items.length !== count) {
          throw new Error(
            `${namespace} ${labelSelector(selector)}: ${running.length} Running of ${listed.items.length}, want ${count}`,
          );
        }
        return running.sort((a, b) => (a.metadata?.name ?? "").localeCompare(b.metadata?.name ?? ""));
      },
      {
        what: `${count} Running pods ${labelSelector(selector)} in ${namespace}`,
        timeoutMs: SETTLE_TIMEOUT_MS,
        intervalMs: 200,
      },
    );

  /** A bare pod as `kubectl run` makes it, with `extra` in its spec. */
  const createBarePod = async (
    namespace: string,
    name: string,
    pod: Partial<PodTemplateInput>,
    extra: PodSpecExtra = {},
  ) => {
    const labels = pod.labels ?? { run: name };
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name, labels, annotations: pod.annotations },
        spec: { ...podSpec({ ...pod, labels }), ...extra },
      },
    });
  };

  /** The pod as served, once `check` holds for it. */
  const podWhen = (namespace: string, name: string, what: string, check: (pod: V1Pod) => boolean) =>
    eventually(
      async () => {
        const pod = await core.readNamespacedPod({ namespace, name });
        if (!check(pod)) {
          throw new Error(
            `pod ${namespace}/${name} is ${pod.status?.phase} on ${pod.spec?.nodeName ?? "no node"}: ${JSON.stringify(pod.status?.conditions)}`,
          );
        }
        return pod;
      },
      { what: `pod ${namespace}/${name} ${what}`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 100 },
    );

  const deploymentSelector = async (namespace: string, name: string) => {
    const deployment = await apps.readNamespacedDeployment({ namespace, name });
    return deployment.spec?.selector.matchLabels ?? {};
  };

  const rolledOut = async (namespace: string, name: string, replicas: number) => {
    await eventually(
      async () => {
        const d = await apps.readNamespacedDeployment({ namespace, name });
        if (!rolledOutTo(d, replicas))
          throw new Error(`deployment ${namespace}/${name}: ${JSON.stringify(d.status)}`);
      },
      { what: `rollout of ${namespace}/${name}`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 200 },
    );
    return runningPods(namespace, await deploymentSelector(namespace, name), replicas);
  };

  return {
    core,
    apps,
    async createNamespace(name, labels) {
      await core.createNamespace({ body: { metadata: { name, labels } } });
      await waitForDefaultServiceAccount(core, name);
    },
    async deleteNamespace(name) {
      await core.deleteNamespace({ name });
      await eventually(
        async () => {
          const found = await core.listNamespace({ fieldSelector: `metadata.name=${name}` });
          if (found.items.length > 0)
            throw new Error(`namespace ${name} still exists (${found.items[0]?.status?.phase})`);
        },
        { what: `namespace ${name} to be deleted`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250 },
      );
    },
    async createServiceAccount(namespace, name) {
      await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
    },
    async runPod(namespace, name, pod = {}) {
      await createBarePod(namespace, name, pod);
      return podWhen(namespace, name, "to run", isRunning);
    },
    async runUnreadyPod(namespace, name, pod = {}) {
      await createBarePod(namespace, name, pod, { readinessGates: [{ conditionType: NEVER_SET_GATE }] });
      return podWhen(
        namespace,
        name,
        "to run, not ready",
        (running) => isRunning(running) && hasCondition(running, "Ready", "False"),
      );
    },
    async createUnschedulablePod(namespace, name, pod = {}) {
      await createBarePod(namespace, name, pod, { nodeSelector: { [NO_NODE_LABEL]: "true" } });
      return podWhen(namespace, name, "to be unschedulable", (pending) =>
        hasCondition(pending, "PodScheduled", "False"),
      );
    },
    async createDeployment(namespace, name, replicas, pod) {
      await apps.createNamespacedDeployment({ namespace, body: deploymentBody(name, replicas, pod) });
      return rolledOut(namespace, name, replicas);
    },
    async scaleDeployment(namespace, name, replicas) {
      await apps.patchNamespacedDeploymentScale(
        { namespace, name, body: { spec: { replicas } } },
        mergePatch,
      );
      return rolledOut(namespace, name, replicas);
    },
    async setDeploymentServiceAccount(namespace, name, serviceAccount) {
      await apps.patchNamespacedDeployment(
        { namespace, name, body: { spec: { template: { spec: { serviceAccountName: serviceAccount } } } } },
        mergePatch,
      );
      const replicas = (await apps.readNamespacedDeployment({ namespace, name })).spec?.replicas ?? 1;
      return rolledOut(namespace, name, replicas);
    },
    async createStatefulSet(namespace, name, replicas, pod) {
      await core.createNamespacedService({
        namespace,
        body: {
          metadata: { name },
          spec: { clusterIP: "None", selector: pod.labels, ports: [{ name: "http", port: 80 }] },
        },
      });
      await apps.createNamespacedStatefulSet({
        namespace,
        body: {
          metadata: { name },
          spec: {
            serviceName: name,
            replicas,
            selector: { matchLabels: pod.labels },
            template: podTemplate(pod),
          },
        },
      });
      return runningPods(namespace, pod.labels, replicas);
    },
    async runJob(namespace, name, completions, pod) {
      await batch.createNamespacedJob({
        namespace,
        body: {
          metadata: { name },
          spec: {
            completions,
            parallelism: completions,
            backoffLimit: 0,
            template: podTemplate(pod, "Never"),
          },
        },
      });
      const job = await eventually(
        async () => {
          const job = await batch.readNamespacedJob({ namespace, name });
          if ((job.status?.succeeded ?? 0) < completions)
            throw new Error(`job ${name}: ${JSON.stringify(job.status)}`);
          return job;
        },
        { what: `job ${namespace}/${name} to complete`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250 },
      );
      const pods = await core.listNamespacedPod({
        namespace,
        labelSelector: labelSelector(job.spec?.selector?.matchLabels ?? {}),
      });
      return pods.items;
    },
    async createService(namespace, name, selector) {
      await core.createNamespacedService({
        namespace,
        body: { metadata: { name }, spec: { selector, ports: [{ name: "http", port: 80 }] } },
      });
    },
    async labelPod(namespace, name, labels) {
      await core.patchNamespacedPod({ namespace, name, body: { metadata: { labels } } }, mergePatch);
    },
    async deletePod(namespace, name) {
      const { metadata } = await core.readNamespacedPod({ namespace, name });
      await core.deleteNamespacedPod({ namespace, name });
      await eventually(
        async () => {
          const found = await core.listNamespacedPod({ namespace, fieldSelector: `metadata.name=${name}` });
          if (found.items.some((pod) => pod.metadata?.uid === metadata?.uid)) {
            throw new Error(`pod ${namespace}/${name} (uid ${metadata?.uid}) still exists`);
          }
        },
        { what: `pod ${namespace}/${name} to disappear`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 200 },
      );
    },
    async setUnschedulable(name, unschedulable) {
      await core.patchNode({ name, body: { spec: { unschedulable } } }, mergePatch);
    },
    async drainNode(name) {
      await core.patchNode({ name, body: { spec: { unschedulable: true } } }, mergePatch);
      const onNode = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` });
      for (const pod of onNode.items) {
        const namespace = pod.metadata?.namespace ?? "";
        const podName = pod.metadata?.name ?? "";
        await core.createNamespacedPodEviction({
          namespace,
          name: podName,
          body: { apiVersion: "policy/v1", kind: "Eviction", metadata: { namespace, name: podName } },
        });
      }
      await eventually(
        async () => {
          const left = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${name}` });
          if (left.items.length > 0) throw new Error(`${left.items.length} pods left on ${name}`);
        },
        { what: `node ${name} to be drained`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 250 },
      );
    },
    async deleteNode(name) {
      await core.deleteNode({ name });
    },
    runningPods,
    serviceTargets(namespace, service, expected, notReady) {
      const want = [...expected].sort();
      const wantNotReady = notReady && [...notReady].sort();
      return eventually(
        async () => {
          const slices = await discovery.listNamespacedEndpointSlice({
            namespace,
            labelSelector: `kubernetes.io/service-name=${service}`,
          });
          const targets = new Set<string>();
          const notReadyTargets = new Set<string>();
          for (const slice of slices.items) {
            for (const endpoint of slice.endpoints) {
              if (!endpoint.targetRef?.name) continue;
              if (endpoint.conditions?.ready !== false) targets.add(endpoint.targetRef.name);
              else notReadyTargets.add(endpoint.targetRef.name);
            }
          }
          const got = [...targets].sort();
          const gotNotReady = [...notReadyTargets].sort();
          if (
            JSON.stringify(got) !== JSON.stringify(want) ||
            (wantNotReady && JSON.stringify(gotNotReady) !== JSON.stringify(wantNotReady))
          ) {
            throw new Error(
              `service ${namespace}/${service} targets ${got.join(",")} (not ready: ${gotNotReady.join(",")}), want ${want.join(",")} (not ready: ${wantNotReady?.join(",") ?? "any"})`,
            );
          }
          return got;
        },
        { what: `EndpointSlices of ${namespace}/${service}`, timeoutMs: SETTLE_TIMEOUT_MS, intervalMs: 200 },
      );
    },
  };
}

/**
 * The pod spec of every workload here: one container, a 5 s grace period (kwok ends a deletion
 * after 300 ms anyway).
 */
function podSpec(pod: PodTemplateInput, restartPolicy?: string): V1PodSpec {
  return {
    serviceAccountName: pod.serviceAccount ?? "default",
    restartPolicy,
    terminationGracePeriodSeconds: 5,
    containers: [{ name: "app", image: "registry.invalid/app:1" }],
  };
}

function podTemplate(pod: PodTemplateInput, restartPolicy?: string): V1PodTemplateSpec {
  return {
    metadata: { labels: pod.labels, annotations: pod.annotations },
    spec: podSpec(pod, restartPolicy),
  };
}

/**
 * A Deployment of `replicas` pods selected by their labels. Rolling updates replace one pod at a
 * time by default (`maxSurge: 1, maxUnavailable: 0`); Kubernetes' own default is 25% / 25%.
 */
export function deploymentBody(
  name: string,
  replicas: number,
  pod: PodTemplateInput,
  rollingUpdate: V1RollingUpdateDeployment = { maxSurge: 1, maxUnavailable: 0 },
): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: pod.labels },
      strategy: { type: "RollingUpdate", rollingUpdate },
      template: podTemplate(pod),
    },
  };
}

/**
 * True when a Deployment's rollout is done, as `kubectl rollout status` sees it: the controller has
 * seen its latest spec and all `replicas` pods are updated and available, with no old pod left.
 */
export function rolledOutTo(deployment: V1Deployment, replicas: number): boolean {
  const s = deployment.status;
  return (
    (s?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
    (s?.updatedReplicas ?? 0) === replicas &&
    (s?.replicas ?? 0) === replicas &&
    (s?.availableReplicas ?? 0) === replicas
  );
}

const isRunning = (pod: V1Pod) => pod.status?.phase === "Running" && Boolean(pod.status.podIP);

const hasCondition = (pod: V1Pod, type: string, status: "True" | "False") =>
  pod.status?.conditions?.some((c) => c.type === type && c.status === status) ?? false;

function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
}
