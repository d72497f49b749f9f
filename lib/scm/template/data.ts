/**
 * The data SCM's templates see (its `templateData` struct): `.TrustDomain`, `.ClusterName`,
 * `.ClusterDomain`, and pointers to the pod's and node's ObjectMeta and spec, read from the Kubernetes JSON
 * objects. For the parent ID template the pod is absent, so `.PodMeta` and `.PodSpec` are nil pointers.
 */
import { structType } from "./types.js";
import type { Value } from "./value.js";

/** A Kubernetes object as JSON: only `metadata` and `spec` are read. */
export interface KubernetesObject {
  readonly metadata?: unknown;
  readonly spec?: unknown;
}

export interface TemplateDataInput {
  readonly trustDomain: string;
  readonly clusterName: string;
  readonly clusterDomain: string;
  readonly node: KubernetesObject;
  readonly pod?: KubernetesObject | undefined;
}

const TEMPLATE_DATA = structType(
  "spireentry.templateData",
  [
    "TrustDomain:TrustDomain:string",
    "ClusterName:ClusterName:string",
    "ClusterDomain:ClusterDomain:string",
    "PodMeta:PodMeta:*v1.ObjectMeta",
    "PodSpec:PodSpec:*v1.PodSpec",
    "NodeMeta:NodeMeta:*v1.ObjectMeta",
    "NodeSpec:NodeSpec:*v1.NodeSpec",
  ].join(" "),
  "",
  "",
);

/** The template data as a Go value (a `*spireentry.templateData`, as SCM passes it). */
export function templateData(input: TemplateDataInput): Value {
  const raw = {
    TrustDomain: input.trustDomain,
    ClusterName: input.clusterName,
    ClusterDomain: input.clusterDomain,
    PodMeta: input.pod === undefined ? undefined : (input.pod.metadata ?? {}),
    PodSpec: input.pod === undefined ? undefined : (input.pod.spec ?? {}),
    NodeMeta: input.node.metadata ?? {},
    NodeSpec: input.node.spec ?? {},
  };
  return { type: { kind: "pointer", elem: TEMPLATE_DATA }, raw, addressable: false };
}
