/**
 * What `registrar serve` runs for a configuration (pure): which functions are mounted on the HTTP
 * listener, which webhooks get their own TLS listener, and which collections the watch bridge
 * delivers to which function. One table, so the runner and its tests agree.
 */
import { CLUSTER_SPIFFEID_RESOURCES, type ResourceName } from "../../lib/bridge/resources.js";
import type { Config } from "../../lib/config/config.js";

export type HttpFunction = "k8s-events" | "spiffeid-events" | "resync";
export type TlsFunction = "pod-admission" | "spiffeid-validation" | "cluster-spiffeid-validation";
export type WatchedCollection = ResourceName;

/** The path each HTTP function is mounted at on the `serve` listener. */
export const MOUNT_PATH: Readonly<Record<HttpFunction, string>> = {
  "k8s-events": "/events",
  "spiffeid-events": "/spiffeid-events",
  resync: "/resync",
};

export interface ServingPlan {
  readonly http: readonly HttpFunction[];
  readonly tls: readonly TlsFunction[];
  /** Watched collections and the function their events go to (used with `--watch`). */
  readonly watches: ReadonlyArray<{
    readonly resources: readonly WatchedCollection[];
    readonly to: HttpFunction;
    /** Resource mode when the handler needs the object (cluster-spiffeid: a deleted pod's UID). */
    readonly eventMode?: "Resource";
  }>;
}

export function planServing(config: Config): ServingPlan {
  if (config.mode === "webhook") {
    // Admission registers pods; the resync (on a timer with --watch) repairs what admission missed.
    return { http: ["resync"], tls: ["pod-admission"], watches: [] };
  }
  if (config.mode === "cluster-spiffeid") {
    return {
      http: ["k8s-events", "resync"],
      tls: config.webhookEnabled ? ["cluster-spiffeid-validation"] : [],
      watches: [{ resources: CLUSTER_SPIFFEID_RESOURCES, to: "k8s-events", eventMode: "Resource" }],
    };
  }
  // Service DNS names come from the collection endpoints_source names.
  const services: readonly WatchedCollection[] = [config.endpointsSource];
  if (config.mode === "reconcile") {
    const resources: WatchedCollection[] = ["pods", "nodes", ...(config.addPodDnsNames ? services : [])];
    return { http: ["k8s-events", "resync"], tls: [], watches: [{ resources, to: "k8s-events" }] };
  }
  const objects: WatchedCollection[] = [
    ...(config.podController ? (["pods", "nodes"] as const) : []),
    ...(config.addSvcDnsName ? services : []),
  ];
  return {
    http: ["k8s-events", "spiffeid-events", "resync"],
    tls: config.webhookEnabled ? ["spiffeid-validation"] : [],
    watches: [
      ...(objects.length > 0 ? [{ resources: objects, to: "k8s-events" as const }] : []),
      { resources: ["spiffeids"], to: "spiffeid-events" },
    ],
  };
}
