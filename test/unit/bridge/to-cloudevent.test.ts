import { describe, expect, it } from "vitest";
import { guessResource, selfLink, toCloudEvent } from "../../../lib/bridge/to-cloudevent.js";
import { readObjectHint } from "../../../lib/events/apiserver-source.js";
import { parseCloudEvent } from "../../../lib/events/cloudevent.js";

const SOURCE = "https://127.0.0.1:6443";
const pod = {
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web-0", namespace: "shop", resourceVersion: "42" },
  spec: { nodeName: "n1" },
};

describe("toCloudEvent", () => {
  it("builds a Reference-mode event exactly as ApiServerSource does", () => {
    const event = toCloudEvent("add", pod, { mode: "Reference", source: SOURCE, id: "id-1" });
    expect(event.headers).toEqual({
      "ce-specversion": "1.0",
      "ce-id": "id-1",
      "ce-type": "dev.knative.apiserver.ref.add",
      "ce-source": SOURCE,
      "ce-subject": "/apis/v1/namespaces/shop/pods/web-0",
      "ce-kind": "Pod",
      "ce-apiversion": "v1",
      "ce-name": "web-0",
      "ce-namespace": "shop",
      "content-type": "application/json",
    });
    // Field order of Go's corev1.ObjectReference (kind, namespace, name, apiVersion).
    expect(event.body).toBe('{"kind":"Pod","namespace":"shop","name":"web-0","apiVersion":"v1"}');
  });

  it("sends the whole object in Resource mode, and the last state on delete", () => {
    const event = toCloudEvent("delete", pod, { mode: "Resource", source: SOURCE, id: "id-2" });
    expect(event.headers["ce-type"]).toBe("dev.knative.apiserver.resource.delete");
    expect(JSON.parse(event.body)).toEqual(pod);
  });

  it("omits the namespace of cluster-scoped objects from the reference but keeps the empty path segment", () => {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1" } };
    const event = toCloudEvent("update", node, { mode: "Reference", source: SOURCE, id: "id-3" });
    expect(event.headers["ce-subject"]).toBe("/apis/v1/namespaces//nodes/n1");
    expect(event.headers["ce-namespace"]).toBe("");
    expect(JSON.parse(event.body)).toEqual({ kind: "Node", name: "n1", apiVersion: "v1" });
  });

  it.each([
    ["Reference", "Pod", "shop"],
    ["Resource", "Pod", "shop"],
    ["Reference", "Node", undefined],
    ["Resource", "Endpoints", "shop"],
    ["Reference", "EndpointSlice", "shop"],
  ] as const)("is read back by the k8s-events parser (%s mode, %s)", (mode, kind, namespace) => {
    const apiVersion = kind === "EndpointSlice" ? "discovery.k8s.io/v1" : "v1";
    const object = { apiVersion, kind, metadata: { name: "x1", ...(namespace ? { namespace } : {}) } };
    const outgoing = toCloudEvent("update", object, { mode, source: SOURCE, id: "id-4" });
    const parsed = parseCloudEvent(new Headers(outgoing.headers), outgoing.body);
    if (!parsed.ok) throw new Error(parsed.message);
    const hint = readObjectHint(parsed.event, ["Pod", "Node", "EndpointSlice", "Endpoints"]);
    expect(hint).toEqual({
      ok: true,
      hint: {
        action: "update",
        mode: mode === "Reference" ? "ref" : "resource",
        apiVersion,
        kind,
        name: "x1",
        ...(namespace ? { namespace } : {}),
        ...(mode === "Resource" ? { object } : {}),
      },
    });
  });
});

describe("selfLink and guessResource", () => {
  it("pluralises kinds as apimachinery's UnsafeGuessKindToResource", () => {
    expect(guessResource("Pod")).toBe("pods");
    expect(guessResource("Endpoints")).toBe("endpoints");
    expect(guessResource("EndpointSlice")).toBe("endpointslices");
    expect(guessResource("SpiffeID")).toBe("spiffeids");
    expect(guessResource("Ingress")).toBe("ingresses");
    expect(guessResource("NetworkPolicy")).toBe("networkpolicies");
  });

  it("puts group resources under /apis/<group>/<version> and marks a version-less group", () => {
    expect(selfLink("spiffeid.spiffe.io/v1beta1", "SpiffeID", "shop", "web")).toBe(
      "/apis/spiffeid.spiffe.io/v1beta1/namespaces/shop/spiffeids/web",
    );
    expect(selfLink("example.com", "Widget", "ns", "w")).toBe(
      "/apis/example.com/versionUnknown/namespaces/ns/widgets/w",
    );
  });
});
