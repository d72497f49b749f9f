import type { EndpointsSource } from "./service-endpoints.js";

/**
 * The subset of the registrar configuration the planner needs. Empty strings mean "not set", as in the Go
 * registrar's HCL config, so `lib/config` can pass its values through unchanged.
 */
export interface PlannerConfig {
  readonly mode: "reconcile" | "webhook" | "crd";
  readonly trustDomain: string;
  readonly cluster: string;
  /** Reconcile mode: the first segment of every ID the registrar owns (default `spire-k8s-registrar`). */
  readonly controllerName: string;
  /** When set, a pod's ID is the value of this label; pods without it get no entry. */
  readonly podLabel: string;
  /** When set, a pod's ID is the value of this annotation; pods without it get no entry. */
  readonly podAnnotation: string;
  /** Go-template subset for the ID path; "" means `ns/{{.Pod.Namespace}}/sa/{{.Pod.ServiceAccount}}`. */
  readonly identityTemplate: string;
  /** When set, only pods whose label of this name is `true` (any case) get a template-derived ID. */
  readonly identityTemplateLabel: string;
  /** Values for `{{.Context.<key>}}` in templates. */
  readonly context: Readonly<Record<string, string>>;
  /** CRD mode: DNS-name templates (the planner renders them; reconcile mode does not use them). */
  readonly dnsNameTemplates: readonly string[];
  /** Reconcile mode: add pod and Service DNS names (reference §3.5). */
  readonly addPodDnsNames: boolean;
  readonly clusterDnsZone: string;
  readonly disabledNamespaces: readonly string[];
  /** CRD mode: add `<svc>.<ns>.svc` names from the Services' endpoints. */
  readonly addSvcDnsName: boolean;
  /**
   * Which API the shells read Services' endpoints from (`lib/k8s/service-endpoints.ts`); the planner
   * gets them as ServiceEndpoints either way.
   */
  readonly endpointsSource: EndpointsSource;
}
