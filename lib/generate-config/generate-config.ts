/**
 * `generate-config` without the I/O: options in, certificates plus the YAML stream and the
 * `--out-dir` file contents out. The caller writes files and prints.
 */
import type { webcrypto } from "node:crypto";
import type { Result } from "../config/result.js";
import { generateCertificates, type WebhookCertificates } from "./certificates.js";
import { admissionConfiguration, admissionKubeconfig, buildManifests } from "./manifests.js";
import type { GenerateConfigOptions } from "./options.js";
import { validityWindow } from "./validity.js";
import { renderDocument, renderStream } from "./yaml-stream.js";

export interface GeneratedConfig {
  readonly certificates: WebhookCertificates;
  /** The five documents as one YAML stream, for stdout. */
  readonly stream: string;
}

/** A file for `--out-dir`: its name inside the directory, content and permission bits. */
export interface OutputFile {
  readonly name: string;
  readonly content: string;
  readonly mode: number;
}

/** File names the API server files get in `--out-dir`. */
export const ADMISSION_KUBECONFIG_FILE = "admission-kubeconfig.yaml";
export const ADMISSION_CONFIGURATION_FILE = "admission-configuration.yaml";

const PUBLIC_MODE = 0o644;
const SECRET_MODE = 0o600;

/** Make the certificates valid from `now` and render the documents. Fails only on an impossible ttl. */
export async function generateConfig(
  options: GenerateConfigOptions,
  now: Date,
  crypto: webcrypto.Crypto,
): Promise<Result<GeneratedConfig, string>> {
  const validity = validityWindow(now, options.ttlMs);
  if (!validity.ok) return validity;
  const certificates = await generateCertificates(
    {
      service: options.service,
      namespace: options.namespace,
      ...(options.url ? { url: options.url } : {}),
      caKey: options.caKey,
      serverKey: options.serverKey,
      clientKey: options.clientKey,
      validity: validity.value,
    },
    crypto,
  );
  return { ok: true, value: { certificates, stream: renderStream(buildManifests(options, certificates)) } };
}

/**
 * The `--out-dir` files. `cert.pem`, `key.pem` and `cacert.pem` are named as the registrar's
 * webhook-mode defaults for cert_path, key_path and cacert_path expect; the admission
 * configuration points at `admissionKubeconfigPath`, the absolute path the kubeconfig file gets.
 * Files holding private keys are owner-only.
 */
export function outputFiles(
  options: GenerateConfigOptions,
  certificates: WebhookCertificates,
  admissionKubeconfigPath: string,
): OutputFile[] {
  return [
    { name: "cacert.pem", content: certificates.ca.certificatePem, mode: PUBLIC_MODE },
    { name: "cert.pem", content: certificates.server.certificatePem, mode: PUBLIC_MODE },
    { name: "key.pem", content: certificates.server.privateKeyPem, mode: SECRET_MODE },
    {
      name: ADMISSION_KUBECONFIG_FILE,
      content: renderDocument(admissionKubeconfig(options, certificates.client)),
      mode: SECRET_MODE,
    },
    {
      name: ADMISSION_CONFIGURATION_FILE,
      content: renderDocument(admissionConfiguration(admissionKubeconfigPath)),
      mode: PUBLIC_MODE,
    },
  ];
}
