/**
 * SCM's federation pass without I/O (scm-model §4): ClusterFederatedTrustDomains sorted oldest first (then
 * by UID), filtered by class, invalid ones and later claimants of a trust domain ignored; then every SPIRE
 * relationship whose trust domain no CR declares is deleted (no prefix or class scoping, as in SCM), missing
 * ones created, and those whose URL or profile differ updated (the bundle is never compared).
 */

import {
  type FederationRelationship,
  parseClusterFederatedTrustDomainSpec,
  sameRelationship,
} from "./cluster-federated-trust-domain.js";
import type { SpecError } from "./cluster-spiffeid.js";
import { compareGoStrings } from "./go-text.js";
import { parseTime } from "./go-time.js";
import { type ClassFilter, type CustomResourceJson, classNameOf, inClass } from "./objects.js";

/** A relationship as listed from SPIRE (its bundle is irrelevant to the plan). */
export type CurrentRelationship = Pick<
  FederationRelationship,
  "trustDomain" | "bundleEndpointUrl" | "bundleEndpointProfile"
>;

/** A CR the pass leaves out, and why (SCM logs these). */
export interface IgnoredTrustDomain {
  readonly name: string;
  readonly reason: "invalid" | "conflict";
  /** The spec error, or the name of the older CR that claimed the trust domain. */
  readonly detail: SpecError | string;
}

export interface FederationPlan {
  /** In SCM's execution order: deletes, creates, updates. */
  readonly delete: readonly CurrentRelationship[];
  readonly create: readonly FederationRelationship[];
  readonly update: readonly FederationRelationship[];
  readonly ignored: readonly IgnoredTrustDomain[];
}

/** Plans the federation pass for `resources` (the CRs as listed) against SPIRE's `current` relationships. */
export function planFederation(
  resources: readonly CustomResourceJson[],
  current: readonly CurrentRelationship[],
  filter: ClassFilter,
): FederationPlan {
  const declared = new Map<string, { name: string; relationship: FederationRelationship }>();
  const ignored: IgnoredTrustDomain[] = [];
  for (const resource of [...resources].sort(compareCreation)) {
    if (!inClass(classNameOf(resource), filter)) continue;
    const name = resource.metadata?.name ?? "";
    const parsed = parseClusterFederatedTrustDomainSpec(resource.spec);
    if (!parsed.ok) {
      ignored.push({ name, reason: "invalid", detail: parsed.error });
      continue;
    }
    const claimed = declared.get(parsed.value.trustDomain);
    if (claimed !== undefined) {
      ignored.push({ name, reason: "conflict", detail: claimed.name });
      continue;
    }
    declared.set(parsed.value.trustDomain, { name, relationship: parsed.value });
  }
  const currentByTrustDomain = new Map(
    current.map((relationship) => [relationship.trustDomain, relationship]),
  );
  const create: FederationRelationship[] = [];
  const update: FederationRelationship[] = [];
  for (const { relationship } of declared.values()) {
    const existing = currentByTrustDomain.get(relationship.trustDomain);
    if (existing === undefined) create.push(relationship);
    else if (!sameRelationship(existing, relationship)) update.push(relationship);
  }
  return {
    delete: current.filter((relationship) => !declared.has(relationship.trustDomain)),
    create,
    update,
    ignored,
  };
}

/** Creation time ascending (as Go's time.Before), then UID. */
function compareCreation(a: CustomResourceJson, b: CustomResourceJson): number {
  const x = parseTime(a.metadata?.creationTimestamp);
  const y = parseTime(b.metadata?.creationTimestamp);
  if (x.seconds !== y.seconds) return x.seconds < y.seconds ? -1 : 1;
  if (x.nanos !== y.nanos) return x.nanos - y.nanos;
  return compareGoStrings(a.metadata?.uid ?? "", b.metadata?.uid ?? "");
}
