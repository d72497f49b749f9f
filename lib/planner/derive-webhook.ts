/**
 * Webhook-mode derivation (reference §2.1, §2.3, §2.4 with DESIGN §3): every live pod in an enabled
 * namespace gets an entry parented to the cluster node alias `spiffe://<td>/k8s-workload-registrar/<cluster>/node`,
 * and the alias entry itself is always desired. Pods need no node: admission registers them before they are
 * scheduled. The same function serves admission (one pod) and resync (all pods).
 */

import { federatesWith, requireConfigId } from "./derive-shared.js";
import type { EntrySpec } from "./entry.js";
import type { Pod } from "./k8s-objects.js";
import type { PlannerConfig } from "./planner-config.js";
import { isLivePod, namespaceFilter } from "./pod-filter.js";
import { derivePodSpiffeId, parsePodIdentityRule } from "./pod-identity.js";
import { serverId, webhookNodeAliasId } from "./registrar-ids.js";
import { clusterSelectors, podSelectors } from "./selectors.js";
import type { Derivation, ObjectRef, Warning } from "./warning.js";

/** The cluster node alias entry: every k8s_psat agent of the cluster is authorised for it. */
export function webhookAliasEntry(config: PlannerConfig): EntrySpec {
  return {
    spiffeId: requireConfigId(webhookNodeAliasId(config), "trust_domain or cluster"),
    parentId: requireConfigId(serverId(config.trustDomain), "trust_domain"),
    selectors: clusterSelectors(config.cluster),
    dnsNames: [],
    federatesWith: [],
    admin: false,
    downstream: false,
  };
}

/**
 * The alias entry followed by one entry per registrable pod. `config` must have passed
 * `validatePlannerConfig`; invalid IDs built from config throw (a bug).
 */
export function deriveWebhookEntries(pods: readonly Pod[], config: PlannerConfig): Derivation<EntrySpec> {
  const alias = webhookAliasEntry(config);
  const desired: EntrySpec[] = [alias];
  const warnings: Warning[] = [];
  const rule = parsePodIdentityRule(config);
  if (!rule.ok) {
    if (pods.length > 0) {
      warnings.push({
        code: "invalid-template",
        object: { kind: "Config", name: "identity_template" },
        message: rule.error,
      });
    }
    return { desired, warnings };
  }
  const isEnabled = namespaceFilter(config.disabledNamespaces);
  for (const pod of pods) {
    const namespace = pod.metadata?.namespace ?? "";
    const name = pod.metadata?.name ?? "";
    if (!isEnabled(namespace) || !isLivePod(pod)) continue;
    const object: ObjectRef = { kind: "Pod", namespace, name };
    const spiffeId = derivePodSpiffeId(pod, rule.value, config.trustDomain);
    if (!spiffeId.ok) {
      warnings.push({ code: "invalid-spiffe-id", object, message: spiffeId.error });
      continue;
    }
    if (spiffeId.value === undefined) continue;
    desired.push({
      spiffeId: spiffeId.value,
      parentId: alias.spiffeId,
      selectors: podSelectors(namespace, name),
      dnsNames: [],
      federatesWith: federatesWith(pod.metadata?.annotations, object, warnings),
      admin: false,
      downstream: false,
    });
  }
  return { desired, warnings };
}
