/**
 * Which Kubernetes object a SpiffeID is "for" (CRD mode). The registrar creates pod SpiffeIDs owned by their
 * Pod and node SpiffeIDs owned by their Node (controller ownerReference). A SpiffeID is managed by the pod or
 * node handler only when its controller owner has that kind, so a pod and a node with the same name in the
 * registrar's namespace never fight over one object (the Go registrar requeued forever), and manual
 * SpiffeIDs (no such owner) are never rewritten or deleted by those handlers.
 */
import type { OwnerReference, SpiffeId } from "./spiffeid.js";

/** The owner kinds of the SpiffeIDs the registrar derives. */
export type DerivedOwnerKind = "Pod" | "Node";

/** The controller ownerReference of a SpiffeID, if any. */
export function controllerOwner(spiffeId: Pick<SpiffeId, "metadata">): OwnerReference | undefined {
  return spiffeId.metadata.ownerReferences?.find((owner) => owner.controller === true);
}

/** True when the SpiffeID was derived for some object of `kind` (a core/v1 Pod or Node), whatever its UID. */
export function isDerivedFor(spiffeId: Pick<SpiffeId, "metadata">, kind: DerivedOwnerKind): boolean {
  const owner = controllerOwner(spiffeId);
  return owner?.kind === kind && owner.apiVersion === "v1";
}

/** The owner reference the registrar puts on a derived SpiffeID (as controller-runtime's SetControllerReference). */
export function ownerReferenceTo(kind: DerivedOwnerKind, name: string, uid: string): OwnerReference {
  return { apiVersion: "v1", kind, name, uid, controller: true, blockOwnerDeletion: false };
}
