/**
 * The Kubernetes and API server documents of webhook mode, as plain objects in the order
 * `generate-config` prints them. Differences from the original generator (all deliberate):
 * the Secret is namespaced, the webhook configuration is admissionregistration.k8s.io/v1 with
 * explicit failurePolicy, sideEffects, timeoutSeconds and a namespaceSelector, and the API
 * server's AdmissionConfiguration is emitted too.
 */
import type { CertificateAndKey, WebhookCertificates } from "./certificates.js";
import type { GenerateConfigOptions } from "./options.js";
import { admissionUserNames, serviceHost } from "./service-names.js";

export const CONFIG_MAP_NAME = "k8s-workload-registrar-certs";
export const SECRET_NAME = "k8s-workload-registrar-secret";
export const WEBHOOK_CONFIGURATION_NAME = "k8s-workload-registrar-webhook";
/** The label the API server sets on every namespace (Kubernetes 1.21+) with the namespace's name. */
export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

/** One document of the stream and the comment that says where it goes. */
export interface ManifestDocument {
  readonly comment: string;
  readonly content: Record<string, unknown>;
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** All five documents, in the order the original's users expect the first four. */
export function buildManifests(
  options: GenerateConfigOptions,
  certificates: WebhookCertificates,
): ManifestDocument[] {
  return [
    {
      comment: `Apply to the cluster. Mount it in the registrar's pod: cert_path is server-cert.pem and cacert_path is cacert.pem.`,
      content: certificatesConfigMap(options.namespace, certificates),
    },
    {
      comment: `Apply to the cluster. Mount it in the registrar's pod: key_path is server-key.pem.`,
      content: serverKeySecret(options.namespace, certificates.server),
    },
    {
      comment: `Not for the cluster: save on every API server host as ${options.admissionKubeconfigPath}.`,
      content: admissionKubeconfig(options, certificates.client),
    },
    {
      comment: "Apply to the cluster: the API server calls the registrar when pods are created or deleted.",
      content: webhookConfiguration(options, certificates.ca),
    },
    {
      comment:
        "Not for the cluster: save on every API server host and pass its path to kube-apiserver --admission-control-config-file.",
      content: admissionConfiguration(options.admissionKubeconfigPath),
    },
  ];
}

/** (1) The serving certificate and the CA that signs the API server's client certificate. */
export function certificatesConfigMap(namespace: string, certificates: WebhookCertificates) {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: CONFIG_MAP_NAME, namespace },
    data: {
      "server-cert.pem": certificates.server.certificatePem,
      "cacert.pem": certificates.ca.certificatePem,
    },
  };
}

/** (2) The serving key. Namespaced, unlike the original's, so it lands next to the registrar. */
export function serverKeySecret(namespace: string, server: CertificateAndKey) {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: SECRET_NAME, namespace },
    type: "Opaque",
    data: { "server-key.pem": base64(server.privateKeyPem) },
  };
}

/**
 * (3) The API server's credentials for calling the webhook. It has only users: the API server
 * picks the one named after the webhook's host (or host:port), so there are no clusters or contexts.
 */
export function admissionKubeconfig(
  options: Pick<GenerateConfigOptions, "service" | "namespace" | "url">,
  client: CertificateAndKey,
) {
  const user = {
    "client-certificate-data": base64(client.certificatePem),
    "client-key-data": base64(client.privateKeyPem),
  };
  return {
    apiVersion: "v1",
    kind: "Config",
    users: admissionUserNames(options).map((name) => ({
      name,
      user: { ...user },
    })),
  };
}

/**
 * (4) The webhook registration. `failurePolicy: Ignore` (the default) keeps pods flowing when the
 * registrar is down; the resync function then creates what was missed.
 */
export function webhookConfiguration(options: GenerateConfigOptions, ca: CertificateAndKey) {
  const webhook: Record<string, unknown> = {
    name: serviceHost(options.service, options.namespace),
    clientConfig: {
      ...(options.url
        ? { url: options.url.href }
        : { service: { name: options.service, namespace: options.namespace, path: "/validate", port: 443 } }),
      caBundle: base64(ca.certificatePem),
    },
    admissionReviewVersions: ["v1", "v1beta1"],
    rules: [
      {
        apiGroups: [""],
        apiVersions: ["v1"],
        operations: ["CREATE", "DELETE"],
        resources: ["pods"],
        scope: "Namespaced",
      },
    ],
    failurePolicy: options.failurePolicy,
    sideEffects: "None",
    timeoutSeconds: options.timeoutSeconds,
  };
  // NotIn with no values is invalid, and no disabled namespaces means no selector is needed.
  if (options.disabledNamespaces.length > 0) {
    webhook.namespaceSelector = {
      matchExpressions: [
        { key: NAMESPACE_NAME_LABEL, operator: "NotIn", values: [...options.disabledNamespaces] },
      ],
    };
  }
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "ValidatingWebhookConfiguration",
    metadata: { name: WEBHOOK_CONFIGURATION_NAME },
    webhooks: [webhook],
  };
}

/** (5) The API server's admission plugin configuration, pointing at the kubeconfig of (3). */
export function admissionConfiguration(admissionKubeconfigPath: string) {
  return {
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AdmissionConfiguration",
    plugins: [
      {
        name: "ValidatingAdmissionWebhook",
        configuration: {
          apiVersion: "apiserver.config.k8s.io/v1",
          kind: "WebhookAdmissionConfiguration",
          kubeConfigFile: admissionKubeconfigPath,
        },
      },
    ],
  };
}
