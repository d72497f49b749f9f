/**
 * The names under which the API server reaches the registrar's webhook Service. The API server
 * calls `https://<service>.<namespace>.svc:443/validate`, verifies the serving certificate against
 * that host name, and picks its client credentials from the admission kubeconfig by the same host.
 */

/** `<service>.<namespace>.svc`: the webhook's name, the certificate's main SAN, the kubeconfig user. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc`;
}

/** Where the API server reaches the webhook: the cluster Service, or a URL (a registrar outside the cluster). */
export interface WebhookEndpoint {
  readonly service: string;
  readonly namespace: string;
  /** `--webhook-url`: an `https://host[:port]/path` the API server calls instead of the Service. */
  readonly url?: URL;
}

export interface SubjectAltName {
  readonly type: "dns" | "ip";
  readonly value: string;
}

/**
 * SANs of the serving certificate. For a Service: the API server's name first, then the shorter
 * forms clients inside the cluster (and namespace) resolve through the search path;
 * `.svc.cluster.local` is left out because the cluster domain is configurable. For a URL: its host.
 */
export function servingNames(endpoint: WebhookEndpoint): readonly SubjectAltName[] {
  if (endpoint.url) {
    const host = urlHost(endpoint.url);
    return [{ type: isIp(host) ? "ip" : "dns", value: host }];
  }
  const { service, namespace } = endpoint;
  return [serviceHost(service, namespace), `${service}.${namespace}`, service].map((value) => ({
    type: "dns",
    value,
  }));
}

/**
 * Kubeconfig user names for the API server's webhook client certificate. The API server matches
 * a user by the webhook's host; some versions match `host:port`, so both are given.
 */
export function admissionUserNames(endpoint: WebhookEndpoint): readonly string[] {
  if (endpoint.url) {
    const host = endpoint.url.hostname;
    return [host, `${host}:${endpoint.url.port || "443"}`];
  }
  const host = serviceHost(endpoint.service, endpoint.namespace);
  return [host, `${host}:443`];
}

/** The URL's host without IPv6 brackets. */
function urlHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, "");
}

function isIp(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(":");
}
