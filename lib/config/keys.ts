/**
 * Every configuration key the registrar knows: its `Config` field, value kind, default and the
 * modes that use it. The single source for decoding, unknown-key suggestions, `configToJson`
 * and the documentation table.
 */
import type { Config } from "./config.js";

/** How a key's value is decoded (see `coerce.ts`). */
export type KeyKind = "string" | "bool" | "int" | "stringList" | "stringMap" | "duration";

/** Where a key came from: common keys' decode errors carry the original's common-config prefix. */
export type KeyScope = "common" | "webhook" | "reconcile" | "crd" | "cluster-spiffeid";

export interface KeySpec {
  /** The key as written in the file (matched case-insensitively). */
  readonly key: string;
  readonly field: keyof Config;
  readonly kind: KeyKind;
  readonly scope: KeyScope;
  /**
   * Applied when the key is absent. For strings, ints and durations also when the value is empty
   * or zero (as the original did); booleans and lists keep an explicit false / [].
   */
  readonly default: string | number | boolean | readonly string[] | Readonly<Record<string, string>>;
}

/** All known keys, in the order `check-config` prints them. */
export const CONFIG_KEYS: readonly KeySpec[] = [
  { key: "mode", field: "mode", kind: "string", scope: "common", default: "webhook" },
  { key: "log_level", field: "logLevel", kind: "string", scope: "common", default: "info" },
  { key: "log_path", field: "logPath", kind: "string", scope: "common", default: "" },
  { key: "log_format", field: "logFormat", kind: "string", scope: "common", default: "json" },
  { key: "trust_domain", field: "trustDomain", kind: "string", scope: "common", default: "" },
  { key: "server_address", field: "serverAddress", kind: "string", scope: "common", default: "" },
  { key: "server_socket_path", field: "serverSocketPath", kind: "string", scope: "common", default: "" },
  { key: "agent_socket_path", field: "agentSocketPath", kind: "string", scope: "common", default: "" },
  { key: "cluster", field: "cluster", kind: "string", scope: "common", default: "" },
  { key: "pod_label", field: "podLabel", kind: "string", scope: "common", default: "" },
  { key: "pod_annotation", field: "podAnnotation", kind: "string", scope: "common", default: "" },
  {
    key: "disabled_namespaces",
    field: "disabledNamespaces",
    kind: "stringList",
    scope: "common",
    default: ["kube-system", "kube-public"],
  },
  { key: "spire_timeout", field: "spireTimeout", kind: "duration", scope: "common", default: "5s" },
  { key: "entry_batch_size", field: "entryBatchSize", kind: "int", scope: "common", default: 50 },
  { key: "entry_concurrency", field: "entryConcurrency", kind: "int", scope: "common", default: 4 },
  {
    key: "max_request_bytes",
    field: "maxRequestBytes",
    kind: "int",
    scope: "common",
    default: 3 * 1024 * 1024,
  },
  { key: "addr", field: "addr", kind: "string", scope: "webhook", default: ":8443" },
  { key: "cert_path", field: "certPath", kind: "string", scope: "webhook", default: "cert.pem" },
  { key: "key_path", field: "keyPath", kind: "string", scope: "webhook", default: "key.pem" },
  { key: "cacert_path", field: "caCertPath", kind: "string", scope: "webhook", default: "cacert.pem" },
  {
    key: "insecure_skip_client_verification",
    field: "insecureSkipClientVerification",
    kind: "bool",
    scope: "webhook",
    default: false,
  },
  { key: "webhook_fail_closed", field: "webhookFailClosed", kind: "bool", scope: "webhook", default: false },
  { key: "leader_election", field: "leaderElection", kind: "bool", scope: "reconcile", default: false },
  {
    key: "leader_election_resource_lock",
    field: "leaderElectionResourceLock",
    kind: "string",
    scope: "reconcile",
    default: "leases",
  },
  {
    key: "leader_election_namespace",
    field: "leaderElectionNamespace",
    kind: "string",
    scope: "reconcile",
    default: "",
  },
  { key: "metrics_addr", field: "metricsAddr", kind: "string", scope: "reconcile", default: ":8080" },
  { key: "event_ack", field: "eventAck", kind: "string", scope: "reconcile", default: "processed" },
  {
    key: "controller_name",
    field: "controllerName",
    kind: "string",
    scope: "reconcile",
    default: "spire-k8s-registrar",
  },
  { key: "add_pod_dns_names", field: "addPodDnsNames", kind: "bool", scope: "reconcile", default: false },
  {
    key: "cluster_dns_zone",
    field: "clusterDnsZone",
    kind: "string",
    scope: "reconcile",
    default: "cluster.local",
  },
  {
    key: "endpoints_source",
    field: "endpointsSource",
    kind: "string",
    scope: "reconcile",
    default: "endpointslices",
  },
  { key: "add_svc_dns_name", field: "addSvcDnsName", kind: "bool", scope: "crd", default: true },
  { key: "metrics_bind_addr", field: "metricsBindAddr", kind: "string", scope: "crd", default: ":8080" },
  { key: "pod_controller", field: "podController", kind: "bool", scope: "crd", default: true },
  { key: "webhook_enabled", field: "webhookEnabled", kind: "bool", scope: "crd", default: false },
  {
    key: "webhook_cert_dir",
    field: "webhookCertDir",
    kind: "string",
    scope: "crd",
    default: "/run/spire/serving-certs",
  },
  { key: "webhook_port", field: "webhookPort", kind: "int", scope: "crd", default: 9443 },
  {
    key: "downstream_namespaces",
    field: "downstreamNamespaces",
    kind: "stringList",
    scope: "crd",
    default: [],
  },
  { key: "admin_namespaces", field: "adminNamespaces", kind: "stringList", scope: "crd", default: [] },
  {
    key: "allow_cross_namespace_ids",
    field: "allowCrossNamespaceIds",
    kind: "bool",
    scope: "crd",
    default: false,
  },
  {
    key: "webhook_service_name",
    field: "webhookServiceName",
    kind: "string",
    scope: "crd",
    default: "k8s-workload-registrar",
  },
  { key: "identity_template", field: "identityTemplate", kind: "string", scope: "crd", default: "" },
  {
    key: "identity_template_label",
    field: "identityTemplateLabel",
    kind: "string",
    scope: "crd",
    default: "",
  },
  { key: "context", field: "context", kind: "stringMap", scope: "crd", default: {} },
  {
    key: "dns_name_templates",
    field: "dnsNameTemplates",
    kind: "stringList",
    scope: "crd",
    default: ["{{.Pod.Name}}"],
  },
  { key: "cluster_domain", field: "clusterDomain", kind: "string", scope: "cluster-spiffeid", default: "" },
  {
    key: "ignore_namespaces",
    field: "ignoreNamespaces",
    kind: "stringList",
    scope: "cluster-spiffeid",
    default: ["kube-system", "kube-public", "spire-system"],
  },
  { key: "class_name", field: "className", kind: "string", scope: "cluster-spiffeid", default: "" },
  {
    key: "watch_classless",
    field: "watchClassless",
    kind: "bool",
    scope: "cluster-spiffeid",
    default: false,
  },
  {
    key: "parent_id_template",
    field: "parentIdTemplate",
    kind: "string",
    scope: "cluster-spiffeid",
    default: "",
  },
  { key: "entry_id_prefix", field: "entryIdPrefix", kind: "string", scope: "cluster-spiffeid", default: "" },
  {
    key: "entry_id_prefix_cleanup",
    field: "entryIdPrefixCleanup",
    kind: "string",
    scope: "cluster-spiffeid",
    default: "",
  },
  {
    key: "cluster_spiffeid_tenant_rules",
    field: "clusterSpiffeIdTenantRules",
    kind: "bool",
    scope: "cluster-spiffeid",
    default: false,
  },
  {
    key: "cluster_spiffeid_admin_groups",
    field: "clusterSpiffeIdAdminGroups",
    kind: "stringList",
    scope: "cluster-spiffeid",
    default: [],
  },
  {
    key: "cluster_spiffeid_downstream_groups",
    field: "clusterSpiffeIdDownstreamGroups",
    kind: "stringList",
    scope: "cluster-spiffeid",
    default: [],
  },
];

const KEYS_BY_NAME: ReadonlyMap<string, KeySpec> = new Map(CONFIG_KEYS.map((spec) => [spec.key, spec]));

/** The spec of a key, matched case-insensitively as HCL v1 did; undefined when unknown. */
export function findKey(name: string): KeySpec | undefined {
  return KEYS_BY_NAME.get(name.toLowerCase());
}
