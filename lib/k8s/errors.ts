/**
 * Errors from the Kubernetes API, named by what the registrar was doing (verb and resource), so an
 * operator reading a log line knows which RBAC rule, credential or connection to fix.
 */

export type KubeErrorKind =
  | "forbidden"
  | "unauthorized"
  | "unavailable"
  | "tls"
  | "conflict"
  | "invalid"
  | "other";

/** A failed API call. `retryable` says whether the same call could succeed later unchanged. */
export class KubeApiError extends Error {
  readonly kind: KubeErrorKind;
  /** The HTTP status of the API server's answer; undefined when there was none. */
  readonly status: number | undefined;
  readonly retryable: boolean;

  constructor(message: string, kind: KubeErrorKind, status: number | undefined, options?: ErrorOptions) {
    super(message, options);
    this.name = "KubeApiError";
    this.kind = kind;
    this.status = status;
    this.retryable = kind === "unavailable" || kind === "conflict";
  }
}

/** What an API call did, e.g. `{ verb: "list", resource: "pods" }` or with a namespace and name. */
export interface KubeCall {
  readonly verb: string;
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** The error for a non-2xx answer; `body` is the response text (normally a Kubernetes Status). */
export function httpError(call: KubeCall, status: number, body: string): KubeApiError {
  const target = describeCall(call);
  const reason = statusMessage(body);
  const options = { cause: { status, body: body.slice(0, 1000) } };
  if (status === 403) {
    return new KubeApiError(
      `forbidden: cannot ${target}: the registrar's service account needs RBAC permission "${call.verb}" on "${call.resource}"${reason ? ` (${reason})` : ""}`,
      "forbidden",
      status,
      options,
    );
  }
  if (status === 401) {
    return new KubeApiError(
      `unauthorized: cannot ${target}: the API server rejected the credentials`,
      "unauthorized",
      status,
      options,
    );
  }
  if (status === 409)
    return new KubeApiError(
      `conflict: cannot ${target}${reason ? `: ${reason}` : ""}`,
      "conflict",
      status,
      options,
    );
  if (status === 400 || status === 422)
    return new KubeApiError(
      `invalid: cannot ${target}${reason ? `: ${reason}` : ""}`,
      "invalid",
      status,
      options,
    );
  if (status === 429 || status >= 500) {
    return new KubeApiError(
      `API server unavailable: cannot ${target}: HTTP ${status}${reason ? `: ${reason}` : ""}`,
      "unavailable",
      status,
      options,
    );
  }
  return new KubeApiError(
    `cannot ${target}: HTTP ${status}${reason ? `: ${reason}` : ""}`,
    "other",
    status,
    options,
  );
}

/**
 * The error for a call that got no answer: the connection failed, timed out, or TLS failed. A TLS
 * verification failure is a configuration problem, so it is named as one instead of "unavailable".
 */
export function transportError(call: KubeCall, error: unknown): KubeApiError {
  const target = describeCall(call);
  const code = errorCode(error);
  if (code !== undefined && TLS_VERIFY_CODES.has(code)) {
    const check =
      code === "ERR_TLS_CERT_ALTNAME_INVALID" ? "server and tls-server-name" : "certificate-authority";
    return new KubeApiError(
      `TLS verification of the API server failed: cannot ${target}: ${errorText(error)}; check ${check}`,
      "tls",
      undefined,
      { cause: error },
    );
  }
  if (code?.startsWith("ERR_SSL_")) {
    return new KubeApiError(
      `TLS handshake with the API server failed: cannot ${target}: ${errorText(error)}; check client-certificate and client-key`,
      "tls",
      undefined,
      { cause: error },
    );
  }
  return new KubeApiError(
    `API server unavailable: cannot ${target}: ${errorText(error)}`,
    "unavailable",
    undefined,
    {
      cause: error,
    },
  );
}

/** The error for a call that could not be authenticated: the token file or exec plugin failed. */
export function credentialError(call: KubeCall, error: unknown): KubeApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return new KubeApiError(
    `unauthorized: cannot ${describeCall(call)}: no credentials: ${reason}`,
    "unauthorized",
    undefined,
    { cause: error },
  );
}

/** The error for a 2xx answer the client cannot read (not JSON, or a broken watch stream line). */
export function responseError(call: KubeCall, reason: string, cause?: unknown): KubeApiError {
  return new KubeApiError(`cannot ${describeCall(call)}: ${reason}`, "other", undefined, { cause });
}

/** OpenSSL's certificate verification failures, as Node reports them in `error.code`. */
const TLS_VERIFY_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "INVALID_CA",
  "INVALID_PURPOSE",
  "PATH_LENGTH_EXCEEDED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function describeCall(call: KubeCall): string {
  const object = call.name ? `${call.resource} "${call.name}"` : call.resource;
  const scope = call.namespace ? ` in namespace "${call.namespace}"` : call.name ? "" : " (all namespaces)";
  return `${call.verb} ${object}${scope}`;
}

/** The `message` of a Kubernetes Status body, else the start of the text. */
function statusMessage(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return body.slice(0, 300) || undefined;
  }
  if (
    typeof parsed === "object" &&
    parsed !== null &&
    "message" in parsed &&
    typeof parsed.message === "string"
  )
    return parsed.message;
  return undefined;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = errorCode(error);
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
