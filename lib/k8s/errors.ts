/**
 * Errors from the Kubernetes API, named by what the registrar was doing (verb and resource), so an
 * operator reading a log line knows which RBAC rule or connection to fix.
 */

export type KubeErrorKind = "forbidden" | "unauthorized" | "unavailable" | "conflict" | "invalid" | "other";

/** A failed API call. `retryable` says whether the same call could succeed later unchanged. */
export class KubeApiError extends Error {
  readonly kind: KubeErrorKind;
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

/** The HTTP status of a client-node error (ApiException has `.code`), if any. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "number")
    return error.code;
  return undefined;
}

/** Turns any error thrown by client-node into a KubeApiError that names the call. */
export function toKubeApiError(error: unknown, call: KubeCall): KubeApiError {
  const status = statusOf(error);
  const target = describeCall(call);
  const reason = statusMessage(error);
  if (status === 403) {
    return new KubeApiError(
      `forbidden: cannot ${target}: the registrar's service account needs RBAC permission "${call.verb}" on "${call.resource}"${reason ? ` (${reason})` : ""}`,
      "forbidden",
      status,
      { cause: error },
    );
  }
  if (status === 401) {
    return new KubeApiError(
      `unauthorized: cannot ${target}: the API server rejected the credentials`,
      "unauthorized",
      status,
      {
        cause: error,
      },
    );
  }
  if (status === 409)
    return new KubeApiError(`conflict: cannot ${target}${reason ? `: ${reason}` : ""}`, "conflict", status, {
      cause: error,
    });
  if (status === 400 || status === 422) {
    return new KubeApiError(`invalid: cannot ${target}${reason ? `: ${reason}` : ""}`, "invalid", status, {
      cause: error,
    });
  }
  if (status === undefined || status === 429 || status >= 500) {
    const detail = status === undefined ? errorText(error) : `HTTP ${status}${reason ? `: ${reason}` : ""}`;
    return new KubeApiError(`API server unavailable: cannot ${target}: ${detail}`, "unavailable", status, {
      cause: error,
    });
  }
  return new KubeApiError(`cannot ${target}: HTTP ${status}${reason ? `: ${reason}` : ""}`, "other", status, {
    cause: error,
  });
}

function describeCall(call: KubeCall): string {
  const object = call.name ? `${call.resource} "${call.name}"` : call.resource;
  const scope = call.namespace ? ` in namespace "${call.namespace}"` : call.name ? "" : " (all namespaces)";
  return `${call.verb} ${object}${scope}`;
}

/** The `message` of a Kubernetes Status body; client-node gives the body as a JSON string. */
function statusMessage(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null || !("body" in error)) return undefined;
  let body: unknown = error.body;
  if (typeof body === "string") {
    const text = body;
    try {
      body = JSON.parse(text);
    } catch {
      return text.slice(0, 300) || undefined;
    }
  }
  if (typeof body === "object" && body !== null && "message" in body && typeof body.message === "string")
    return body.message;
  return undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
