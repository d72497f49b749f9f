import { describe, expect, it } from "vitest";
import { decidePodAdmission } from "../../../lib/admission/pod-decision.js";
import { webhookPodEntryId } from "../../../lib/admission/pod-entry-id.js";
import type { AdmissionRequest } from "../../../lib/admission/review.js";
import { readAdmissionReview, reviewResponse } from "../../../lib/admission/review.js";
import { reconcileConfig } from "../planner/fixtures.js";

const config = reconcileConfig({
  mode: "webhook",
  trustDomain: "example.org",
  cluster: "c1",
  disabledNamespaces: ["kube-system"],
});
const podKind = { group: "", version: "v1", kind: "Pod" };
const pod = (extra: object = {}) => ({
  metadata: { name: "p", namespace: "ns" },
  spec: { nodeName: "n1", serviceAccountName: "sa" },
  ...extra,
});
const del = (oldObject: object, options?: object): AdmissionRequest => ({
  uid: "u",
  kind: podKind,
  namespace: "ns",
  name: "p",
  operation: "DELETE",
  oldObject,
  ...(options ? { options } : {}),
});

describe("decidePodAdmission", () => {
  it("creates the pod's entry under the cluster node alias", () => {
    expect(
      decidePodAdmission(
        { uid: "u", kind: podKind, namespace: "ns", operation: "CREATE", object: pod() },
        config,
      ),
    ).toEqual({
      action: "create",
      warnings: [],
      entry: {
        spiffeId: "spiffe://example.org/ns/ns/sa/sa",
        parentId: "spiffe://example.org/k8s-workload-registrar/c1/node",
        selectors: [
          { type: "k8s", value: "ns:ns" },
          { type: "k8s", value: "pod-name:p" },
        ],
        dnsNames: [],
        federatesWith: [],
        admin: false,
        downstream: false,
        id: webhookPodEntryId("c1", "ns", "p"),
      },
    });
  });

  it("asks for the same entry ID on the pod's CREATE and on its final DELETE", () => {
    const created = decidePodAdmission(
      { uid: "u", kind: podKind, namespace: "ns", operation: "CREATE", object: pod() },
      config,
    );
    const deleted = decidePodAdmission(del(pod(), { gracePeriodSeconds: 0 }), config);
    expect(created.action === "create" && created.entry.id).toBe(
      deleted.action === "delete" && deleted.entryId,
    );
  });

  it("takes the namespace from the request when the object omits it", () => {
    const object = { metadata: { name: "p" }, spec: { serviceAccountName: "sa" } };
    const decision = decidePodAdmission(
      { uid: "u", kind: podKind, namespace: "ns", operation: "CREATE", object },
      config,
    );
    expect(decision).toMatchObject({
      action: "create",
      entry: { spiffeId: "spiffe://example.org/ns/ns/sa/sa" },
    });
  });

  it.each([
    ["graceful delete of a running pod", del(pod(), { gracePeriodSeconds: 30 }), "allow"],
    ["delete with grace period 0", del(pod(), { gracePeriodSeconds: 0 }), "delete"],
    [
      "the final delete of a terminating pod",
      del(pod({ metadata: { name: "p", namespace: "ns", deletionTimestamp: "t" } })),
      "delete",
    ],
    ["delete of an unscheduled pod", del({ metadata: { name: "p" }, spec: {} }), "delete"],
    ["delete of a finished pod", del(pod({ status: { phase: "Succeeded" } })), "delete"],
    ["delete of a failed pod", del(pod({ status: { phase: "Failed" } })), "delete"],
  ])("%s -> %s", (_what, request, action) => {
    expect(decidePodAdmission(request, config).action).toBe(action);
  });
});

describe("AdmissionReview", () => {
  it("echoes apiVersion, kind and uid, with warnings only when there are some", () => {
    expect(reviewResponse("admission.k8s.io/v1", "u1", { allowed: true, warnings: [] })).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: { uid: "u1", allowed: true },
    });
    expect(reviewResponse("admission.k8s.io/v1beta1", "u2", { allowed: false, message: "no" })).toEqual({
      apiVersion: "admission.k8s.io/v1beta1",
      kind: "AdmissionReview",
      response: { uid: "u2", allowed: false, status: { code: 403, reason: "Forbidden", message: "no" } },
    });
  });

  it.each([
    [[], "Malformed JSON body: an AdmissionReview must be a JSON object"],
    [
      { apiVersion: "admission.k8s.io/v1", kind: "Pod", request: { uid: "u" } },
      'unexpected kind "Pod": want AdmissionReview',
    ],
    // Found by the fuzz suite: an operation that is not a string made the SpiffeID webhook throw (500).
    [
      { kind: "AdmissionReview", request: { uid: "u", operation: { toString: [] } } },
      "AdmissionReview request: operation must be a string",
    ],
    [{ request: { uid: "u", namespace: 1 } }, "AdmissionReview request: namespace must be a string"],
    [{ request: { uid: "u", kind: { kind: [] } } }, "AdmissionReview request: kind.kind must be a string"],
    [{ request: { uid: "u", dryRun: "yes" } }, "AdmissionReview request: dryRun must be a boolean"],
    [
      { request: { uid: "u", options: { gracePeriodSeconds: "0" } } },
      "AdmissionReview request: options.gracePeriodSeconds must be a number",
    ],
  ])("rejects %j", (body, message) => {
    expect(readAdmissionReview(body)).toEqual({ ok: false, message });
  });
});
