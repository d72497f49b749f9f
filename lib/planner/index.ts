export { deriveReconcileEntries } from "./derive-reconcile.js";
export { deriveWebhookEntries, webhookAliasEntry } from "./derive-webhook.js";
export { diff, type Plan } from "./diff.js";
export { dnsNameError } from "./dns-name.js";
export { parseDnsNameTemplates, renderDnsNames, validateDnsNameTemplate } from "./dns-name-templates.js";
export { SERVICE_NAME_LABEL, serviceEndpointsFromSlices, serviceOfSlice } from "./endpoint-slices.js";
export type { Entry, EntrySpec, Selector } from "./entry.js";
export { entryKey, selectorSetKey } from "./entry-key.js";
export { FEDERATES_WITH_ANNOTATION, parseFederatesWith } from "./federation.js";
export type {
  ClusterSnapshot,
  EndpointAddress,
  EndpointSlice,
  Endpoints,
  Node,
  ObjectMeta,
  Pod,
} from "./k8s-objects.js";
export {
  crdOwnership,
  type IsOwned,
  ownershipFor,
  reconcileOwnership,
  webhookOwnership,
} from "./ownership.js";
export type { PlannerConfig } from "./planner-config.js";
export { mungeIp } from "./pod-dns-names.js";
export {
  DEFAULT_IDENTITY_TEMPLATE,
  derivePodSpiffeId,
  type PodIdentityRule,
  parsePodIdentityRule,
  templatePod,
  validateIdentityTemplate,
} from "./pod-identity.js";
export {
  crdNodeId,
  reconcileNodeId,
  reconcileRootId,
  serverId,
  WEBHOOK_ID_PREFIX,
  webhookNodeAliasId,
} from "./registrar-ids.js";
export {
  diffInScope,
  isServiceDnsName,
  nodeScope,
  type PodRef,
  podRefFromSelectors,
  podRefsForEndpoints,
  podRefsWithServiceNames,
  podScope,
  restrictToScope,
  type Scope,
} from "./scope.js";
export { clusterSelectors, nodeSelectors, podSelectors } from "./selectors.js";
export {
  type EndpointTarget,
  type ServiceEndpoints,
  serviceEndpointsFromEndpoints,
} from "./service-endpoints.js";
export { outdatedFields, type SvidField } from "./svid-changes.js";
export { parseTemplate, renderTemplate, type Template, type TemplatePod } from "./template.js";
export { validatePlannerConfig } from "./validate-config.js";
export { type Derivation, describeRef, type ObjectRef, type Warning, type WarningCode } from "./warning.js";
