import { describe, expect, it } from "vitest";
import { readObjectHint } from "../../../lib/events/apiserver-source.js";
import { parseCloudEvent } from "../../../lib/events/cloudevent.js";

const podRef = { apiVersion: "v1", kind: "Pod", name: "p1", namespace: "default" };

function binary(type: string, data: unknown, extra: Record<string, string> = {}): Headers {
  return new Headers({
    "ce-id": "1",
    "ce-type": type,
    "ce-source": "https://127.0.0.1:6443",
    "ce-specversion": "1.0",
    "content-type": "application/json",
    ...extra,
    "x-data": JSON.stringify(data),
  });
}

describe("parseCloudEvent", () => {
  it("reads a binary-mode event with extensions and JSON data", () => {
    const headers = binary("dev.knative.apiserver.ref.add", podRef, { "ce-kind": "Pod", "ce-name": "p1" });
    const result = parseCloudEvent(headers, JSON.stringify(podRef));
    expect(result).toEqual({
      ok: true,
      event: {
        id: "1",
        type: "dev.knative.apiserver.ref.add",
        source: "https://127.0.0.1:6443",
        specversion: "1.0",
        extensions: { kind: "Pod", name: "p1" },
        data: podRef,
      },
    });
  });

  it("refuses a structured-mode attribute that is an object (found by the fuzz suite: it threw)", () => {
    const headers = new Headers({ "content-type": "application/cloudevents+json" });
    const body = JSON.stringify({
      specversion: "1.0",
      id: "1",
      type: "t",
      source: "s",
      kind: { toString: 1 },
    });
    expect(parseCloudEvent(headers, body)).toEqual({
      ok: false,
      message: 'CloudEvent attribute "kind" must be a string',
    });
  });

  it("reads a structured-mode event", () => {
    const body = JSON.stringify({
      specversion: "1.0",
      id: "2",
      type: "dev.knative.apiserver.resource.update",
      source: "s",
      subject: "/apis/v1/namespaces/default/pods/p1",
      kind: "Pod",
      data: { apiVersion: "v1", kind: "Pod", metadata: { name: "p1", namespace: "default" } },
    });
    const result = parseCloudEvent(
      new Headers({ "content-type": "application/cloudevents+json; charset=utf-8" }),
      body,
    );
    expect(result.ok && result.event.subject).toBe("/apis/v1/namespaces/default/pods/p1");
    expect(result.ok && result.event.extensions).toEqual({ kind: "Pod" });
  });

  it("reads a PingSource event without data", () => {
    const headers = new Headers({
      "ce-id": "3",
      "ce-type": "dev.knative.sources.ping",
      "ce-source": "/p",
      "ce-specversion": "1.0",
    });
    const result = parseCloudEvent(headers, "");
    expect(result.ok && result.event.data).toBeUndefined();
  });

  it.each([
    [new Headers({ "content-type": "application/json" }), "{}", "not a CloudEvent: no ce-* headers"],
    [
      new Headers({ "ce-id": "1", "ce-specversion": "1.0" }),
      "",
      "missing required attribute(s): type, source",
    ],
    [binary("t", {}, { "ce-specversion": "0.3" }), "", 'unsupported CloudEvents specversion "0.3"'],
    [binary("t", {}), "{not json", "CloudEvent data is not valid JSON"],
    [new Headers({ "content-type": "application/cloudevents+json" }), "[1]", "must be a JSON object"],
    [
      new Headers({ "content-type": "application/cloudevents+json" }),
      "{",
      "structured CloudEvent is not valid JSON",
    ],
    [
      new Headers({ "content-type": "application/cloudevents-batch+json" }),
      "[]",
      "batched CloudEvents are not supported",
    ],
  ])("rejects a malformed request (%#)", (headers, body, message) => {
    const result = parseCloudEvent(headers, body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toContain(message);
  });
});

describe("readObjectHint", () => {
  const event = (type: string, data: unknown, extensions: Record<string, string> = {}) => ({
    id: "9",
    type,
    source: "s",
    specversion: "1.0",
    extensions,
    data,
  });

  it("names the object of a Reference-mode event", () => {
    expect(readObjectHint(event("dev.knative.apiserver.ref.delete", podRef), ["Pod"])).toEqual({
      ok: true,
      hint: {
        action: "delete",
        mode: "ref",
        apiVersion: "v1",
        kind: "Pod",
        namespace: "default",
        name: "p1",
      },
    });
  });

  it("names the object of a Resource-mode event and leaves cluster-scoped objects without namespace", () => {
    const node = { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "u" }, spec: {} };
    expect(
      readObjectHint(event("dev.knative.apiserver.resource.add", node, { kind: "Node", namespace: "" }), [
        "Node",
      ]),
    ).toEqual({
      ok: true,
      hint: {
        action: "add",
        mode: "resource",
        apiVersion: "v1",
        kind: "Node",
        name: "n1",
        uid: "u",
        object: node,
      },
    });
  });

  it.each([
    [
      "dev.knative.sources.ping",
      podRef,
      {},
      "foreign",
      'unexpected CloudEvent type "dev.knative.sources.ping"',
    ],
    [
      "dev.knative.apiserver.ref.add",
      { ...podRef, kind: "Node" },
      {},
      "foreign",
      "is about a Node; this function handles Pod",
    ],
    ["dev.knative.apiserver.ref.add", "p1", {}, "malformed", "data must be an ObjectReference"],
    [
      "dev.knative.apiserver.ref.add",
      { kind: "Pod", apiVersion: "v1" },
      {},
      "malformed",
      "data.name is missing",
    ],
    [
      "dev.knative.apiserver.resource.add",
      { kind: "Pod", apiVersion: "v1" },
      {},
      "malformed",
      "data.metadata is missing",
    ],
    [
      "dev.knative.apiserver.ref.add",
      podRef,
      { name: "p2" },
      "malformed",
      'extension name="p2" does not match the data\'s "p1"',
    ],
  ])("rejects %s with %j", (type, data, extensions, reason, message) => {
    const result = readObjectHint(event(type, data, extensions), ["Pod"]);
    expect(result).toMatchObject({ ok: false, reason });
    expect(!result.ok && result.message).toContain(message);
  });
});
