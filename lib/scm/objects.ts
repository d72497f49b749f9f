/**
 * The Kubernetes objects cluster-spiffeid mode reads, as JSON (every field optional, as the API may omit any),
 * and two rules SCM applies to its custom resources: the class filter and the preference order that picks
 * the winner among declarers of one entry.
 */
import { compareGoStrings } from "./go-text.js";
import { parseTime, unixNano } from "./go-time.js";

/** `metadata` as read here. */
export interface ObjectMetaJson {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly resourceVersion?: string;
  /** Incremented by the API server on spec changes only (custom resources with a status subresource). */
  readonly generation?: number;
  /** RFC 3339. */
  readonly creationTimestamp?: string | null;
  readonly deletionTimestamp?: string | null;
  readonly labels?: Readonly<Record<string, string>> | null;
  readonly annotations?: Readonly<Record<string, string>> | null;
}

/** A Pod, Node or Namespace. Templates see `metadata` and `spec` whole, as Go structs. */
export interface KubeObjectJson {
  readonly metadata?: ObjectMetaJson;
  readonly spec?: unknown;
}

/** A Pod: `spec.nodeName` places it on a node. */
export interface PodJson extends KubeObjectJson {
  readonly spec?: { readonly nodeName?: string } & Readonly<Record<string, unknown>>;
}

/** An SCM custom resource (ClusterSPIFFEID, ClusterStaticEntry, ClusterFederatedTrustDomain) as JSON. */
export interface CustomResourceJson {
  readonly metadata?: ObjectMetaJson;
  readonly spec?: unknown;
  readonly status?: unknown;
}

/** The class settings of one SCM instance (ControllerManagerConfig `className`, `watchClassless`). */
export interface ClassFilter {
  readonly className: string;
  readonly watchClassless: boolean;
}

/** SCM's class filter: a CR is handled iff (no class and classless CRs are watched) or its class is ours. */
export function inClass(resourceClass: string, filter: ClassFilter): boolean {
  return (resourceClass === "" && filter.watchClassless) || resourceClass === filter.className;
}

/** The `className` of a CR's spec, "" when absent (or not a string). */
export function classNameOf(resource: CustomResourceJson): string {
  const spec = resource.spec;
  if (spec === null || typeof spec !== "object") return "";
  const className = (spec as { className?: unknown }).className;
  return typeof className === "string" ? className : "";
}

/**
 * SCM's preference among declarers of one entry, most preferred first: older `creationTimestamp` (as Go's
 * UnixNano), then not being deleted, then (both being deleted) the later `deletionTimestamp`, then the
 * smaller UID.
 */
export function comparePreference(a: ObjectMetaJson | undefined, b: ObjectMetaJson | undefined): number {
  const created = unixNano(parseTime(a?.creationTimestamp)) - unixNano(parseTime(b?.creationTimestamp));
  if (created !== 0n) return created < 0n ? -1 : 1;
  const deletedA = a?.deletionTimestamp ?? undefined;
  const deletedB = b?.deletionTimestamp ?? undefined;
  if (deletedA !== undefined && deletedB === undefined) return 1;
  if (deletedA === undefined && deletedB !== undefined) return -1;
  if (deletedA !== undefined && deletedB !== undefined) {
    const deleted = unixNano(parseTime(deletedA)) - unixNano(parseTime(deletedB));
    if (deleted !== 0n) return deleted < 0n ? 1 : -1;
  }
  return compareGoStrings(a?.uid ?? "", b?.uid ?? "");
}
