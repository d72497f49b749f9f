/**
 * Creates the objects a test needs on a bare kube-apiserver, where no scheduler, kubelet,
 * service-account or endpointslice controller runs (the reconcile benchmark), or that a test makes
 * by hand on purpose (crd-mode's EndpointSlice that its owner manages): pods get `spec.nodeName`
 * and `serviceAccountName` up front, and EndpointSlices are made by hand.
 */
import { CoreV1Api, DiscoveryV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";

export interface PodSpecInput {
  readonly namespace: string;
  readonly name: string;
  readonly node: string;
  readonly serviceAccount?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

/** A ready pod behind a Service, as an EndpointSlice endpoint. */
export interface ServiceTarget {
  readonly pod: string;
  readonly ip: string;
}

export interface KubeObjects {
  readonly core: CoreV1Api;
  readonly discovery: DiscoveryV1Api;
  createNamespace(name: string): Promise<void>;
  createNode(name: string): Promise<void>;
  createPod(input: PodSpecInput): Promise<V1Pod>;
  /**
   * The IPv4 EndpointSlice `<serviceName>-1` of Service `serviceName` (labelled
   * `kubernetes.io/service-name`), with one endpoint per target, as the EndpointSlice controller writes
   * them; returns the slice's name.
   */
  createEndpointSlice(
    namespace: string,
    serviceName: string,
    targets: readonly ServiceTarget[],
  ): Promise<string>;
}

export function kubeObjects(kubeConfig: KubeConfig): KubeObjects {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const discovery = kubeConfig.makeApiClient(DiscoveryV1Api);
  const podRefs = async (namespace: string, targets: readonly ServiceTarget[]) =>
    (await Promise.all(targets.map((t) => core.readNamespacedPod({ namespace, name: t.pod })))).map(
      (pod) => ({
        kind: "Pod",
        namespace,
        name: pod.metadata?.name,
        uid: pod.metadata?.uid,
      }),
    );
  return {
    core,
    discovery,
    async createNamespace(name) {
      await core.createNamespace({ body: { metadata: { name } } });
    },
    async createNode(name) {
      await core.createNode({ body: { metadata: { name } } });
    },
    createPod(input) {
      return core.createNamespacedPod({
        namespace: input.namespace,
        body: {
          metadata: { name: input.name, labels: input.labels, annotations: input.annotations },
          spec: {
            nodeName: input.node,
            serviceAccountName: input.serviceAccount ?? "default",
            containers: [{ name: "app", image: "registry.invalid/app:1" }],
          },
        },
      });
    },
    async createEndpointSlice(namespace, serviceName, targets) {
      const refs = await podRefs(namespace, targets);
      const name = `${serviceName}-1`;
      await discovery.createNamespacedEndpointSlice({
        namespace,
        body: {
          metadata: { name, labels: { "kubernetes.io/service-name": serviceName } },
          addressType: "IPv4",
          endpoints: targets.map((t, i) => ({
            addresses: [t.ip],
            conditions: { ready: true, serving: true, terminating: false },
            targetRef: refs[i],
          })),
          ports: [{ name: "http", port: 8080, protocol: "TCP" }],
        },
      });
      return name;
    },
  };
}
