/**
 * Fuzz: the HTTP readers of the functions. Made-up CloudEvents and AdmissionReviews are answered with a
 * 2xx or 4xx, never a 5xx, never cause a SPIRE write, and never add a metric label outside the closed
 * sets.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp as createK8sEvents } from "../../../functions/k8s-events/app.js";
import { createApp as createPodAdmission } from "../../../functions/pod-admission/app.js";
import {
  createApp as createSpiffeIdValidation,
  SPIFFEID_VALIDATION_PATH,
} from "../../../functions/spiffeid-validation/app.js";
import { defaultTenantRules } from "../../../lib/admission/spiffeid-tenancy.js";
import { createMetrics } from "../../../lib/metrics/metrics.js";
import {
  podObject,
  type Rig,
  reconcileConfig,
  silentLogger,
  startRig,
  TD,
} from "../../component/functions/harness.js";
import { fuzz, mixedString } from "./support.js";

const WRITES = ["BatchCreateEntry", "BatchUpdateEntry", "BatchDeleteEntry"];
const KINDS = ["Pod", "Node", "EndpointSlice", "Endpoints", "Secret", "", "pod", "SpiffeID"];
const TYPES = [
  "dev.knative.apiserver.ref.add",
  "dev.knative.apiserver.resource.delete",
  "dev.knative.sources.ping",
  "x",
];
const NAMES = ["web-1", "..", ".", "a/b", "", "n1", "A", "x".repeat(300), "web-1\n", "%2e%2e"];

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const nameLike = fc.oneof(fc.constantFrom(...NAMES), fc.string({ maxLength: 12 }));

/** An ObjectReference or a Kubernetes object, with fields that may be missing or of the wrong type. */
const eventData = fc.record(
  {
    apiVersion: fc.oneof(fc.constant("v1"), jsonValue),
    kind: fc.oneof(fc.constantFrom(...KINDS), jsonValue),
    name: fc.oneof(nameLike, jsonValue),
    namespace: fc.oneof(nameLike, jsonValue),
    metadata: fc.oneof(fc.record({ name: nameLike, namespace: nameLike }, { requiredKeys: [] }), jsonValue),
  },
  { requiredKeys: [] },
);

const binaryEvent = fc.record({
  headers: fc.record(
    {
      "ce-id": fc.string({ maxLength: 8 }),
      "ce-type": fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 20 })),
      "ce-source": fc.string({ maxLength: 8 }),
      "ce-specversion": fc.constantFrom("1.0", "0.3", ""),
      "ce-kind": fc.oneof(fc.constantFrom(...KINDS), fc.string({ maxLength: 200 })),
      "ce-name": nameLike,
      "ce-namespace": nameLike,
      "content-type": fc.constantFrom("application/json", "application/cloudevents+json", "text/plain", ""),
    },
    { requiredKeys: [] },
  ),
  body: fc.oneof(
    eventData.map((data) => JSON.stringify(data)),
    mixedString(["{", "}", '"', ":", ","], 30),
  ),
});

/** A header value must be a legal HTTP header value; a client cannot send anything else. */
function legalHeaders(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name, value.replace(/[^\t\x20-\x7e]/g, "?")]),
  );
}

describe("fuzz: the functions' HTTP readers", () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig(reconcileConfig({ mode: "webhook" }));
    rig.cluster.putNode({ metadata: { name: "n1" } });
  });
  afterAll(() => rig.stop());
  const writes = () => WRITES.reduce((sum, method) => sum + (rig.spireServer.rpcCounts[method] ?? 0), 0);

  it("answers made-up CloudEvents with 2xx or 4xx, writes nothing, and labels metrics from closed sets", async () => {
    const metrics = createMetrics();
    const app = createK8sEvents({
      reconcile: { ...rig.context, config: reconcileConfig() },
      logger: silentLogger,
      readiness: async () => ({ ready: true }),
      metrics,
    });
    const before = writes();
    await fuzz(
      fc.asyncProperty(binaryEvent, async ({ headers, body }) => {
        const response = await app.request(
          new Request("http://fn/", { method: "POST", headers: legalHeaders(headers), body }),
        );
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        expect(writes()).toBe(before);
      }),
      500,
    );
    const text = await metrics.registry.metrics();
    for (const [, kind, type] of text.matchAll(/registrar_events_total\{kind="([^"]*)",type="([^"]*)"/g)) {
      expect(["Pod", "Node", "EndpointSlice", "Endpoints", "other"]).toContain(kind);
      expect(
        type === "other" || /^dev\.knative\.apiserver\.(ref|resource)\.(add|update|delete)$/.test(type ?? ""),
      ).toBe(true);
    }
  });

  it("answers made-up AdmissionReviews with 2xx or 4xx, and writes nothing for malformed ones", async () => {
    const app = createPodAdmission({
      config: { ...reconcileConfig({ mode: "webhook" }), webhookFailClosed: false },
      spire: rig.spire,
      isOwned: rig.context.isOwned,
      logger: silentLogger,
      readiness: async () => ({ ready: true }),
    });
    const request = fc.record(
      {
        uid: fc.oneof(fc.string({ maxLength: 6 }), jsonValue),
        kind: fc.oneof(fc.constant({ group: "", version: "v1", kind: "Pod" }), jsonValue),
        operation: fc.oneof(fc.constantFrom("CREATE", "DELETE", "UPDATE", "CONNECT"), jsonValue),
        namespace: fc.oneof(nameLike, jsonValue),
        name: fc.oneof(nameLike, jsonValue),
        dryRun: fc.oneof(fc.constant(true), jsonValue),
        object: fc.oneof(fc.constant(podObject({ name: "p", node: "n1" })), jsonValue),
        oldObject: fc.oneof(fc.constant(podObject({ name: "p", node: "n1" })), jsonValue),
      },
      { requiredKeys: [] },
    );
    const review = fc.record(
      {
        apiVersion: fc.constantFrom("admission.k8s.io/v1", "admission.k8s.io/v1beta1", "v2", ""),
        kind: fc.constantFrom("AdmissionReview", "x"),
        request: fc.oneof(request, jsonValue),
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      review.map((value) => JSON.stringify(value)),
      fc.string({ maxLength: 30 }),
    );
    await fuzz(
      fc.asyncProperty(body, fc.constantFrom("application/json", "text/plain"), async (text, contentType) => {
        const before = writes();
        const response = await app.request(
          new Request("https://webhook/validate", {
            method: "POST",
            headers: { "content-type": contentType },
            body: text,
          }),
        );
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
        if (response.status >= 400) expect(writes()).toBe(before);
      }),
      500,
    );
  });

  it("answers made-up SpiffeID AdmissionReviews with 2xx or 4xx", async () => {
    const app = createSpiffeIdValidation({
      validation: { trustDomain: TD, registrarNamespace: "spire", tenants: defaultTenantRules("c1") },
      spire: rig.spire,
      logger: silentLogger,
      readiness: async () => ({ ready: true }),
    });
    const object = fc.record(
      {
        metadata: fc.oneof(
          fc.record({ name: nameLike, namespace: nameLike }, { requiredKeys: [] }),
          jsonValue,
        ),
        spec: fc.oneof(
          fc.record(
            {
              parentId: fc.oneof(fc.constant(`spiffe://${TD}/spire/server`), jsonValue),
              spiffeId: fc.oneof(fc.constant(`spiffe://${TD}/ns/web/sa/a`), jsonValue),
              selector: fc.oneof(
                fc.record({ namespace: nameLike, podName: nameLike }, { requiredKeys: [] }),
                jsonValue,
              ),
              dnsNames: jsonValue,
              downstream: jsonValue,
            },
            { requiredKeys: [] },
          ),
          jsonValue,
        ),
      },
      { requiredKeys: [] },
    );
    const review = fc.record({
      apiVersion: fc.constantFrom("admission.k8s.io/v1", "admission.k8s.io/v1beta1"),
      kind: fc.constant("AdmissionReview"),
      request: fc.record(
        {
          uid: fc.string({ maxLength: 4 }),
          kind: fc.oneof(
            fc.constant({ group: "spiffeid.spiffe.io", version: "v1beta1", kind: "SpiffeID" }),
            jsonValue,
          ),
          operation: fc.oneof(fc.constantFrom("CREATE", "UPDATE", "DELETE"), jsonValue),
          namespace: fc.oneof(nameLike, jsonValue),
          object: fc.oneof(object, jsonValue),
        },
        { requiredKeys: ["uid"] },
      ),
    });
    await fuzz(
      fc.asyncProperty(review, async (value) => {
        const response = await app.request(
          new Request(`https://webhook${SPIFFEID_VALIDATION_PATH}`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(value),
          }),
        );
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(response.status).toBeLessThan(500);
      }),
      400,
    );
  });
});
