/**
 * Warnings are returned as data (the planner never logs): the shell logs them and, for admission, returns
 * them to the API server. Each names the object it is about.
 */

/** The Kubernetes object (or config key, with kind `Config`) a warning is about. */
export interface ObjectRef {
  readonly kind: "Pod" | "Node" | "Endpoints" | "Config";
  readonly namespace?: string;
  readonly name: string;
}

export type WarningCode =
  | "invalid-spiffe-id"
  | "invalid-template"
  | "invalid-dns-name"
  | "invalid-federated-trust-domain";

/** Something that was skipped or dropped, and why. */
export interface Warning {
  readonly code: WarningCode;
  readonly object: ObjectRef;
  readonly message: string;
}

/** A derivation's output: the entries wanted, plus what had to be left out. */
export interface Derivation<T> {
  readonly desired: T[];
  readonly warnings: Warning[];
}

/** `namespace/name` (or `name` for cluster-scoped objects), for messages. */
export function describeRef(ref: ObjectRef): string {
  const name = ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
  return `${ref.kind} ${name}`;
}
