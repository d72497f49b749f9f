/**
 * AdmissionReview in and out, for admission.k8s.io v1 and v1beta1. The response is written in the
 * version of the request, with `apiVersion`, `kind` and the request `uid` echoed, as v1 requires
 * (the Go registrar's v0.11 responses had neither, and only spoke v1beta1).
 */

export const ADMISSION_V1 = "admission.k8s.io/v1";
export const ADMISSION_V1BETA1 = "admission.k8s.io/v1beta1";
export type AdmissionVersion = typeof ADMISSION_V1 | typeof ADMISSION_V1BETA1;

/** The fields of an AdmissionRequest the registrar reads. */
export interface AdmissionRequest {
  readonly uid: string;
  readonly kind?: { readonly group?: string; readonly version?: string; readonly kind?: string };
  readonly namespace?: string;
  readonly name?: string;
  readonly operation?: string;
  readonly object?: unknown;
  readonly oldObject?: unknown;
  /** CREATE/DELETE options, e.g. DeleteOptions with `gracePeriodSeconds`. */
  readonly options?: { readonly gracePeriodSeconds?: number } | null;
  readonly dryRun?: boolean;
}

export interface AdmissionReviewIn {
  readonly apiVersion: AdmissionVersion;
  readonly request: AdmissionRequest;
}

export type ReviewResult = { ok: true; review: AdmissionReviewIn } | { ok: false; message: string };

/** What the registrar answers: always allowed unless fail-closed, with warnings for the user. */
export interface Verdict {
  readonly allowed: boolean;
  readonly message?: string;
  readonly warnings?: readonly string[];
}

/**
 * Checks a decoded JSON body. A review without `apiVersion` is treated as v1beta1, as the Go
 * registrar decoded any body as v1beta1. The messages of the missing-request case are the Go
 * registrar's.
 */
export function readAdmissionReview(body: unknown): ReviewResult {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    return { ok: false, message: "Malformed JSON body: an AdmissionReview must be a JSON object" };
  }
  const record = body as Record<string, unknown>;
  const apiVersion = record.apiVersion ?? ADMISSION_V1BETA1;
  if (apiVersion !== ADMISSION_V1 && apiVersion !== ADMISSION_V1BETA1) {
    return {
      ok: false,
      message: `unsupported apiVersion ${JSON.stringify(apiVersion)}: want ${ADMISSION_V1} or ${ADMISSION_V1BETA1}`,
    };
  }
  if (record.kind !== undefined && record.kind !== "AdmissionReview") {
    return { ok: false, message: `unexpected kind ${JSON.stringify(record.kind)}: want AdmissionReview` };
  }
  const request = record.request;
  if (typeof request !== "object" || request === null)
    return { ok: false, message: "AdmissionReview is missing request" };
  const uid = (request as { uid?: unknown }).uid;
  if (typeof uid !== "string" || uid === "")
    return { ok: false, message: "AdmissionReview request is missing uid" };
  const shapeError = requestShapeError(request as Record<string, unknown>);
  if (shapeError !== undefined) return { ok: false, message: `AdmissionReview request: ${shapeError}` };
  return { ok: true, review: { apiVersion, request: request as AdmissionRequest } };
}

/**
 * Why the fields the registrar reads do not have AdmissionRequest's types, or undefined: the API
 * server always sends them so, and anything else is answered 400 instead of being trusted.
 */
function requestShapeError(request: Readonly<Record<string, unknown>>): string | undefined {
  for (const field of ["operation", "namespace", "name"] as const) {
    const value = request[field];
    if (value !== undefined && typeof value !== "string") return `${field} must be a string`;
  }
  const kind = request.kind;
  if (kind !== undefined) {
    if (typeof kind !== "object" || kind === null || Array.isArray(kind)) return "kind must be an object";
    for (const [field, value] of Object.entries(kind)) {
      if (typeof value !== "string") return `kind.${field} must be a string`;
    }
  }
  if (request.dryRun !== undefined && typeof request.dryRun !== "boolean") return "dryRun must be a boolean";
  const options = request.options;
  if (options !== undefined && options !== null) {
    if (typeof options !== "object" || Array.isArray(options)) return "options must be an object";
    const grace = (options as Record<string, unknown>).gracePeriodSeconds;
    if (grace !== undefined && grace !== null && typeof grace !== "number") {
      return "options.gracePeriodSeconds must be a number";
    }
  }
  return undefined;
}

/** The AdmissionReview response for `request`, in `apiVersion`. */
export function reviewResponse(apiVersion: AdmissionVersion, uid: string, verdict: Verdict): unknown {
  const warnings = verdict.warnings && verdict.warnings.length > 0 ? { warnings: [...verdict.warnings] } : {};
  const status = verdict.allowed
    ? {}
    : {
        status: {
          code: 403,
          reason: "Forbidden",
          message: verdict.message ?? "denied by the SPIRE registrar",
        },
      };
  return {
    apiVersion,
    kind: "AdmissionReview",
    response: { uid, allowed: verdict.allowed, ...status, ...warnings },
  };
}
