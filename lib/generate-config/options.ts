/**
 * The validated inputs of `generate-config`, from the command's flag values. Every value is
 * checked and all problems are reported together, each a complete message naming its flag.
 */
import type { Result } from "../config/result.js";
import { DEFAULT_KEY_ALGORITHM, type KeyAlgorithm, parseKeyAlgorithm } from "./key-algorithm.js";
import { parseTtl } from "./validity.js";

export type FailurePolicy = "Ignore" | "Fail";

export interface GenerateConfigOptions {
  readonly namespace: string;
  readonly service: string;
  readonly caKey: KeyAlgorithm;
  readonly serverKey: KeyAlgorithm;
  readonly clientKey: KeyAlgorithm;
  /** Certificate lifetime in milliseconds; 0 means no expiry. */
  readonly ttlMs: number;
  readonly failurePolicy: FailurePolicy;
  readonly timeoutSeconds: number;
  /** Namespaces the webhook's namespaceSelector excludes. */
  readonly disabledNamespaces: readonly string[];
  /** Where the API server will find the admission kubeconfig (the AdmissionConfiguration's path). */
  readonly admissionKubeconfigPath: string;
  /** `--webhook-url`: the API server calls this URL instead of the Service. */
  readonly url?: URL;
}

/** Flag values as given; absent ones take the defaults below. */
export interface GenerateConfigFlags {
  readonly namespace?: string | undefined;
  readonly service?: string | undefined;
  readonly caKeyAlg?: string | undefined;
  readonly serverKeyAlg?: string | undefined;
  readonly clientKeyAlg?: string | undefined;
  readonly ttl?: string | undefined;
  readonly failurePolicy?: string | undefined;
  readonly timeoutSeconds?: string | undefined;
  /** The names, from `--disabled-namespaces` (split) or the config file; `source` names which, for messages. */
  readonly disabledNamespaces?: { readonly names: readonly string[]; readonly source: string } | undefined;
  readonly admissionKubeconfigPath?: string | undefined;
  readonly webhookUrl?: string | undefined;
}

export const DEFAULTS = {
  namespace: "spire",
  service: "k8s-workload-registrar",
  keyAlgorithm: DEFAULT_KEY_ALGORITHM,
  ttl: "8760h",
  failurePolicy: "Ignore",
  timeoutSeconds: 5,
  disabledNamespaces: ["kube-system", "kube-public"],
  admissionKubeconfigPath: "/etc/kubernetes/pki/k8s-workload-registrar/kubeconfig.yaml",
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_LABEL_RULE =
  'must be a DNS-1123 label (at most 63 lowercase letters, digits or "-", starting and ending with a letter or digit)';
const MAX_TIMEOUT_SECONDS = 30;

/** Split a comma-separated namespace list; blanks around names and empty items are dropped. */
export function splitNamespaceList(text: string): string[] {
  return text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/** Validate flag values into options. The error lists every problem found. */
export function resolveOptions(flags: GenerateConfigFlags): Result<GenerateConfigOptions, string[]> {
  const key = (flag: string, text: string | undefined) =>
    prefixed(`-${flag}: `, parseKeyAlgorithm(text ?? DEFAULTS.keyAlgorithm));
  const disabled = flags.disabledNamespaces ?? {
    names: DEFAULTS.disabledNamespaces,
    source: "--disabled-namespaces",
  };
  const namespace = dnsLabel("-namespace", flags.namespace ?? DEFAULTS.namespace);
  const service = dnsLabel("-service", flags.service ?? DEFAULTS.service);
  const caKey = key("ca-key-alg", flags.caKeyAlg);
  const serverKey = key("server-key-alg", flags.serverKeyAlg);
  const clientKey = key("client-key-alg", flags.clientKeyAlg);
  const ttlMs = parseTtl(flags.ttl ?? DEFAULTS.ttl);
  const failurePolicy = parseFailurePolicy(flags.failurePolicy ?? DEFAULTS.failurePolicy);
  const timeoutSeconds = parseTimeoutSeconds(flags.timeoutSeconds);
  const disabledNames = disabled.names.map((name) => dnsLabel(`${disabled.source} entry`, name));
  const admissionKubeconfigPath = absolutePath(
    "--admission-kubeconfig-path",
    flags.admissionKubeconfigPath ?? DEFAULTS.admissionKubeconfigPath,
  );

  const url = parseWebhookUrl(flags.webhookUrl);
  const results = [
    namespace,
    service,
    caKey,
    serverKey,
    clientKey,
    ttlMs,
    failurePolicy,
    timeoutSeconds,
    url,
  ];
  const errors = [...results, ...disabledNames, admissionKubeconfigPath].flatMap((result) =>
    result.ok ? [] : [result.error],
  );
  if (
    errors.length > 0 ||
    !namespace.ok ||
    !service.ok ||
    !caKey.ok ||
    !serverKey.ok ||
    !clientKey.ok ||
    !ttlMs.ok ||
    !failurePolicy.ok ||
    !timeoutSeconds.ok ||
    !url.ok ||
    !admissionKubeconfigPath.ok
  ) {
    return { ok: false, error: errors };
  }
  return {
    ok: true,
    value: {
      namespace: namespace.value,
      service: service.value,
      caKey: caKey.value,
      serverKey: serverKey.value,
      clientKey: clientKey.value,
      ttlMs: ttlMs.value,
      failurePolicy: failurePolicy.value,
      timeoutSeconds: timeoutSeconds.value,
      disabledNamespaces: [...new Set(disabled.names)],
      admissionKubeconfigPath: admissionKubeconfigPath.value,
      ...(url.value ? { url: url.value } : {}),
    },
  };
}

function parseWebhookUrl(text: string | undefined): Result<URL | undefined, string> {
  if (text === undefined) return { ok: true, value: undefined };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `invalid --webhook-url ${JSON.stringify(text)}: not a URL` };
  }
  // The API server only calls webhooks over HTTPS, and the registrar serves /validate.
  if (url.protocol !== "https:" || url.username || url.password || url.search || url.hash) {
    return {
      ok: false,
      error: `invalid --webhook-url ${JSON.stringify(text)}: want https://host[:port]/validate`,
    };
  }
  if (url.pathname === "/") url.pathname = "/validate";
  return { ok: true, value: url };
}

function prefixed<T>(prefix: string, result: Result<T, string>): Result<T, string> {
  return result.ok ? result : { ok: false, error: prefix + result.error };
}

function dnsLabel(what: string, text: string): Result<string, string> {
  if (text.length <= 63 && DNS_LABEL.test(text)) return { ok: true, value: text };
  return { ok: false, error: `invalid ${what} ${JSON.stringify(text)}: ${DNS_LABEL_RULE}` };
}

function parseFailurePolicy(text: string): Result<FailurePolicy, string> {
  if (text === "Ignore" || text === "Fail") return { ok: true, value: text };
  return { ok: false, error: `invalid --failure-policy ${JSON.stringify(text)}: want Ignore or Fail` };
}

function parseTimeoutSeconds(text: string | undefined): Result<number, string> {
  if (text === undefined) return { ok: true, value: DEFAULTS.timeoutSeconds };
  const seconds = /^\d{1,3}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (seconds >= 1 && seconds <= MAX_TIMEOUT_SECONDS) return { ok: true, value: seconds };
  return {
    ok: false,
    error: `invalid --timeout-seconds ${JSON.stringify(text)}: want a whole number from 1 to ${MAX_TIMEOUT_SECONDS}`,
  };
}

function absolutePath(flag: string, text: string): Result<string, string> {
  // The API server resolves the path on its own host, whose working directory is unknown.
  if (text.startsWith("/")) return { ok: true, value: text };
  return { ok: false, error: `invalid ${flag} ${JSON.stringify(text)}: must be an absolute path` };
}
