/**
 * The registrar's effective configuration: every key of the file with its default filled in.
 * One flat shape for all modes, because the original accepted the keys of every mode in any
 * mode; code reads the fields its mode uses. Built only by `parseConfig`/`loadConfig`.
 */
import type { EndpointsSource } from "../planner/service-endpoints.js";
import type { ScmConfig } from "../scm/config.js";

/**
 * The ways the registrar keeps SPIRE in step with the cluster: the Go registrar's three, and
 * `cluster-spiffeid` (spire-controller-manager's custom resources).
 */
export type Mode = "webhook" | "reconcile" | "crd" | "cluster-spiffeid";

/** logrus level names the original accepted, lowercased. */
export type LogLevelName = "panic" | "fatal" | "error" | "warn" | "warning" | "info" | "debug" | "trace";

/** Log record encoding: one JSON object a line, or one logrus-style `key=value` line. */
export type LogFormat = "json" | "text";

/** A config of one of the Go registrar's three modes, the ones the planner (lib/planner) serves. */
export type PlannerModeConfig = Config & { readonly mode: "webhook" | "reconcile" | "crd" };

/** Whether the config's mode is served by the planner (cluster-spiffeid mode is served by lib/scm). */
export function isPlannerMode(config: Config): config is PlannerModeConfig {
  return config.mode !== "cluster-spiffeid";
}

export interface Config {
  // common
  readonly mode: Mode;
  readonly logLevel: LogLevelName;
  /** Empty: log to stdout. */
  readonly logPath: string;
  readonly logFormat: LogFormat;
  readonly trustDomain: string;
  /** `server_address`, or `unix://` + `server_socket_path` when absent. */
  readonly serverAddress: string;
  readonly serverSocketPath: string;
  readonly agentSocketPath: string;
  readonly cluster: string;
  readonly podLabel: string;
  readonly podAnnotation: string;
  readonly disabledNamespaces: readonly string[];
  // webhook mode
  readonly addr: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly caCertPath: string;
  readonly insecureSkipClientVerification: boolean;
  /** Deny a pod's admission when SPIRE fails (the original always admitted). */
  readonly webhookFailClosed: boolean;
  // reconcile and crd modes
  readonly leaderElection: boolean;
  readonly leaderElectionResourceLock: string;
  /** Empty: the namespace the function runs in. */
  readonly leaderElectionNamespace: string;
  // reconcile mode
  readonly metricsAddr: string;
  /**
   * Reconcile and crd modes: when the event functions answer a delivery, after its reconcile
   * (`processed`) or as soon as it is taken (`accepted`; reconciled in the background, retried with
   * a backoff). See lib/events/event-endpoint.ts.
   */
  readonly eventAck: "processed" | "accepted";
  readonly controllerName: string;
  readonly addPodDnsNames: boolean;
  readonly clusterDnsZone: string;
  /**
   * Reconcile and crd modes: where the Service DNS names of `add_pod_dns_names` and `add_svc_dns_name`
   * come from, discovery.k8s.io/v1 EndpointSlices or (old clusters) core/v1 Endpoints.
   */
  readonly endpointsSource: EndpointsSource;
  // crd mode
  readonly addSvcDnsName: boolean;
  readonly metricsBindAddr: string;
  readonly podController: boolean;
  readonly webhookEnabled: boolean;
  readonly webhookCertDir: string;
  readonly webhookPort: number;
  readonly webhookServiceName: string;
  // identity templates (every mode)
  readonly identityTemplate: string;
  readonly identityTemplateLabel: string;
  readonly context: Readonly<Record<string, string>>;
  readonly dnsNameTemplates: readonly string[];
  // SPIRE client tuning (new in this project)
  /** `spire_timeout` as written (Go duration syntax, e.g. "5s"). */
  readonly spireTimeout: string;
  /** `spire_timeout` in milliseconds. */
  readonly spireTimeoutMs: number;
  readonly entryBatchSize: number;
  readonly entryConcurrency: number;
  // request bounds and SpiffeID tenant rules (new in this project)
  /** Largest request body an HTTP function accepts (413 beyond). */
  readonly maxRequestBytes: number;
  /** crd mode: namespaces whose SpiffeIDs may ask for `downstream: true`. */
  readonly downstreamNamespaces: readonly string[];
  /** crd mode: namespaces whose SpiffeIDs may ask for `admin: true`. */
  readonly adminNamespaces: readonly string[];
  /** crd mode: let a SpiffeID claim `/ns/<another namespace>/...` (the Go registrar's behaviour). */
  readonly allowCrossNamespaceIds: boolean;
  // cluster-spiffeid mode (spire-controller-manager's ControllerManagerConfig keys, snake_case)
  /** "": looked up from the CNAME of kubernetes.default.svc, as SCM does. */
  readonly clusterDomain: string;
  /** Regular expressions (RE2) of namespaces whose pods get no entries. */
  readonly ignoreNamespaces: readonly string[];
  readonly className: string;
  readonly watchClassless: boolean;
  /** "": SCM's default parent ID template. */
  readonly parentIdTemplate: string;
  readonly entryIdPrefix: string;
  /** Only when written in the file ("" included: entries whose ID has no `.`). */
  readonly entryIdPrefixCleanup: string;
  /** The ClusterSPIFFEID webhook's tenant rules (lib/scm-admission/cluster-tenancy.ts); off by default. */
  readonly clusterSpiffeIdTenantRules: boolean;
  /** Groups whose members may write `admin: true` in a ClusterSPIFFEID (with the tenant rules on). */
  readonly clusterSpiffeIdAdminGroups: readonly string[];
  /** Groups whose members may write `downstream: true` (with the tenant rules on). */
  readonly clusterSpiffeIdDownstreamGroups: readonly string[];
  /** cluster-spiffeid mode: the keys above (or the ControllerManagerConfig file) checked as SCM checks them. */
  readonly clusterSpiffeId?: ScmConfig;
}
