export {
  type BundleEndpointProfile,
  bundleEndpointUrlError,
  type FederationRelationship,
  parseClusterFederatedTrustDomainSpec,
  sameRelationship,
} from "./cluster-federated-trust-domain.js";
export {
  type ClusterSpiffeIdSpec,
  DEFAULT_PARENT_ID_TEMPLATE,
  type PodRenderContext,
  parseClusterSpiffeIdSpec,
  parseParentIdTemplate,
  renderPodEntry,
  type ServiceRef,
  type SpecError,
  serviceDnsNames,
  TEMPLATE_NAMES,
} from "./cluster-spiffeid.js";
export { type ClusterStaticEntryStatus, renderStaticEntry } from "./cluster-static-entry.js";
export {
  clusterDomainFromCname,
  DEFAULT_ENTRY_RENDER_CACHE_SIZE,
  DEFAULT_GC_INTERVAL_NANOSECONDS,
  DEFAULT_IGNORE_NAMESPACES,
  DEFAULT_SPIRE_SERVER_SOCKET_PATH,
  expandEnv,
  type NamespaceCacheConfig,
  type ParsedScmConfig,
  type ParseScmConfigOptions,
  parseScmConfig,
  type ReconcileConfig,
  type ScmConfig,
  scmConfigFromValues,
} from "./config.js";
export {
  type ClusterState,
  type Declaration,
  type DeclareConfig,
  type DeclaredEntry,
  type DeclaredKey,
  type Declarer,
  declareEntries,
  declarePodEntries,
  inPodScope,
  type PodState,
  type RenderFailure,
} from "./declare.js";
export { decodeDuration, durationToSeconds, parseGoDuration, secondsToDuration } from "./duration.js";
export { parseSelector, type RenderedEntry, type ScmEntrySpec, scmEntryKey } from "./entry.js";
export {
  type CurrentEntry,
  type EntryOwnership,
  type EntryPlan,
  type EntryPlanOptions,
  entryOwnership,
  isJoinTokenEntry,
  type OutdatedField,
  outdatedFields,
  type PlannedCreate,
  type PlannedUpdate,
  type ProbedField,
  planEntries,
} from "./entry-plan.js";
export {
  type CurrentRelationship,
  type FederationPlan,
  type IgnoredTrustDomain,
  planFederation,
} from "./federation-plan.js";
export {
  type LabelSelector,
  type LabelSelectorRequirement,
  parseLabelSelector,
  type Selector,
} from "./label-selector.js";
export {
  type ClassFilter,
  type CustomResourceJson,
  classNameOf,
  comparePreference,
  inClass,
  type KubeObjectJson,
  type ObjectMetaJson,
  type PodJson,
} from "./objects.js";
export { compileRe2 } from "./re2.js";
export { type ApiBundle, type ParsedBundle, parseSpiffeBundle } from "./spiffe-bundle.js";
export {
  type ApplyOutcome,
  type ClusterSpiffeIdStats,
  staticStatusAfterApply,
  statsAfterApply,
  statusChanged,
  ZERO_STATS,
} from "./status.js";
export {
  executeTemplate,
  parseTemplate,
  type Template,
  type TemplateError,
  templateData,
} from "./template/index.js";
