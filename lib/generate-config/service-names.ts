/**
 * The names under which the API server reaches the registrar's webhook Service. The API server
 * calls `https://<service>.<namespace>.svc:443/validate`, verifies the serving certificate against
 * that host name, and picks its client credentials from the admission kubeconfig by the same host.
 */

/** `<service>.<namespace>.svc`: the webhook's name, the certificate's main SAN, the kubeconfig user. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc`;
}

/**
 * DNS SANs of the serving certificate: the API server's name first, then the shorter forms that
 * clients inside the cluster (and inside the namespace) resolve through the search path.
 * `.svc.cluster.local` is left out because the cluster domain is configurable.
 */
export function servingDnsNames(service: string, namespace: string): readonly string[] {
  return [serviceHost(service, namespace), `${service}.${namespace}`, service];
}

/**
 * Kubeconfig user names for the API server's webhook client certificate. The API server matches
 * a user by the webhook's host; some versions match `host:port`, so both are given.
 */
export function admissionUserNames(service: string, namespace: string): readonly string[] {
  const host = serviceHost(service, namespace);
  return [host, `${host}:443`];
}
