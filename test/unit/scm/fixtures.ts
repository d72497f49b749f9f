/** Small builders for the Kubernetes objects and SCM custom resources of the scm tests. */
import { parseScmConfig } from "../../../lib/scm/config.js";
import type { DeclareConfig } from "../../../lib/scm/declare.js";
import type { CustomResourceJson, KubeObjectJson, PodJson } from "../../../lib/scm/objects.js";

export const TD = "example.org";

/** A pass config from a ControllerManagerConfig body (trust domain example.org, cluster demo). */
export function scmConfig(extra = ""): DeclareConfig {
  const parsed = parseScmConfig(
    `apiVersion: spire.spiffe.io/v1alpha1\nkind: ControllerManagerConfig\nclusterName: demo\ntrustDomain: ${TD}\nclusterDomain: cluster.local\n${extra}`,
  );
  if (!parsed.ok) throw new Error(parsed.error.join("; "));
  return parsed.value.config;
}

export function namespace(name: string, labels: Record<string, string> = {}): KubeObjectJson {
  return { metadata: { name, uid: `ns-${name}`, labels } };
}

export function node(name: string): KubeObjectJson {
  return { metadata: { name, uid: `node-uid-${name}` }, spec: {} };
}

export function pod(
  name: string,
  options: {
    namespace?: string;
    labels?: Record<string, string>;
    nodeName?: string | undefined;
    sa?: string;
  } = {},
): PodJson {
  const ns = options.namespace ?? "default";
  return {
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels: options.labels ?? {} },
    spec: {
      ...("nodeName" in options && options.nodeName === undefined
        ? {}
        : { nodeName: options.nodeName ?? "node-a" }),
      serviceAccountName: options.sa ?? "sa",
    },
  };
}

export function clusterSpiffeId(
  name: string,
  spec: Record<string, unknown>,
  meta: { creationTimestamp?: string; deletionTimestamp?: string; uid?: string } = {},
): CustomResourceJson {
  return {
    metadata: {
      name,
      uid: meta.uid ?? `csid-${name}`,
      creationTimestamp: meta.creationTimestamp ?? "2024-01-01T00:00:00Z",
      ...(meta.deletionTimestamp === undefined ? {} : { deletionTimestamp: meta.deletionTimestamp }),
    },
    spec,
  };
}

export function clusterStaticEntry(
  name: string,
  spec: Record<string, unknown>,
  meta: { creationTimestamp?: string; uid?: string } = {},
): CustomResourceJson {
  return {
    metadata: {
      name,
      uid: meta.uid ?? `cse-${name}`,
      creationTimestamp: meta.creationTimestamp ?? "2024-01-01T00:00:00Z",
    },
    spec,
  };
}

export const NS_SA_TEMPLATE =
  "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/sa/{{ .PodSpec.ServiceAccountName }}";
