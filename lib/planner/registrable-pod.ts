/**
 * The first step of deriving anything for a pod, in every mode that parents pods to their node:
 * is it scheduled, live, in an enabled namespace, with an identity, and can its IDs be built?
 * Invalid IDs are warnings, never exceptions.
 */
import type { Result } from "../spiffe/result.js";
import type { Pod } from "./k8s-objects.js";
import { isLivePod } from "./pod-filter.js";
import { derivePodSpiffeId, type PodIdentityRule } from "./pod-identity.js";
import type { ObjectRef, Warning } from "./warning.js";

export interface RegistrablePod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName: string;
  readonly object: ObjectRef;
  readonly spiffeId: string;
  readonly parentId: string;
}

export interface PodRules {
  readonly isEnabled: (namespace: string) => boolean;
  readonly identity: PodIdentityRule;
  readonly trustDomain: string;
  /** The pod's parent ID for its node (the mode's node ID). */
  readonly parentOf: (nodeName: string) => Result<string>;
}

/** The pod's IDs, or undefined when it gets no entry (with a warning when an ID is invalid). */
export function registrablePod(pod: Pod, rules: PodRules, warnings: Warning[]): RegistrablePod | undefined {
  const namespace = pod.metadata?.namespace ?? "";
  const name = pod.metadata?.name ?? "";
  const nodeName = pod.spec?.nodeName ?? "";
  if (!rules.isEnabled(namespace) || nodeName === "" || !isLivePod(pod)) return undefined;
  const object: ObjectRef = { kind: "Pod", namespace, name };
  const spiffeId = derivePodSpiffeId(pod, rules.identity, rules.trustDomain);
  if (!spiffeId.ok) {
    warnings.push({ code: "invalid-spiffe-id", object, message: spiffeId.error });
    return undefined;
  }
  if (spiffeId.value === undefined) return undefined;
  const parentId = rules.parentOf(nodeName);
  if (!parentId.ok) {
    warnings.push({
      code: "invalid-spiffe-id",
      object,
      message: `node name is not a valid ID segment: ${parentId.error}`,
    });
    return undefined;
  }
  return { namespace, name, nodeName, object, spiffeId: spiffeId.value, parentId: parentId.value };
}
