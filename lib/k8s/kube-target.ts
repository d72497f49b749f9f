/**
 * The API server the registrar talks to, as loaded from a kubeconfig or the in-cluster service
 * account: where it is, how to verify it and present ourselves, and where the Authorization header
 * comes from. Immutable; the client builds its connection pools from it once.
 */
import type { Credentials } from "./credentials.js";

/** TLS settings of the connection, as node:tls options take them. */
export interface KubeTls {
  /** PEM CA bundle (`certificate-authority(-data)`); absent: the system's roots. */
  readonly ca?: Buffer;
  /** PEM client certificate and key (`client-certificate(-data)`, `client-key(-data)`). */
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** `tls-server-name`: the name sent in SNI and checked against the certificate. */
  readonly servername?: string;
  /** `insecure-skip-tls-verify`: accept any server certificate. */
  readonly insecureSkipVerify: boolean;
}

export interface KubeTarget {
  /** The API server URL as configured, e.g. `https://10.0.0.1:443` (also the bridge's event source). */
  readonly server: string;
  readonly tls: KubeTls;
  readonly credentials: Credentials;
  /** The context's namespace (in-cluster: the service account's), if any. */
  readonly namespace: string | undefined;
  /** Where it was loaded from, for log lines: the kubeconfig file(s) or "in-cluster". */
  readonly source: string;
}
