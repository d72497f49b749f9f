/**
 * The HTTP side every admission webhook shares: POST only, a JSON body that is an AdmissionReview
 * (v1 or v1beta1), the Go registrar's plain-text errors for anything else, and the response in the
 * request's version. The webhook supplies only the decision.
 */
import type { Hono } from "hono";
import type { Metrics } from "../metrics/metrics.js";
import { type AdmissionReviewIn, readAdmissionReview, reviewResponse, type Verdict } from "./review.js";

/** Admission operations; anything else is labelled `other`, so a caller cannot grow the metrics. */
const OPERATIONS: ReadonlySet<string> = new Set(["CREATE", "UPDATE", "DELETE", "CONNECT"]);

function operationLabel(operation: unknown): string {
  return typeof operation === "string" && OPERATIONS.has(operation) ? operation : "other";
}

export function addAdmissionRoute(
  app: Hono,
  path: string,
  decide: (review: AdmissionReviewIn) => Promise<Verdict>,
  metrics?: Metrics,
): void {
  app.all(path, async (c) => {
    if (c.req.method !== "POST") return c.text("Expected POST\n", 405);
    const mediaType = (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") return c.text("Expected JSON content\n", 400);
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.text("Malformed JSON body\n", 400);
    }
    const read = readAdmissionReview(body);
    if (!read.ok) {
      metrics?.admission("unknown", "malformed");
      return c.text(`${read.message}\n`, 400);
    }
    const verdict = await decide(read.review);
    metrics?.admission(operationLabel(read.review.request.operation), verdict.allowed ? "allowed" : "denied");
    return c.json(reviewResponse(read.review.apiVersion, read.review.request.uid, verdict));
  });
  app.notFound((c) => c.text("Not found\n", 404));
}
