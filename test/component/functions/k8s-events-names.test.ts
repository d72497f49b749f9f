/**
 * Hardening defects 11 and 12: an event's object reference is checked before it reaches an API path.
 * A Pod event without a namespace was answered 500 ("Namespace parameter required"), and names such
 * as `..` made the handler GET other API paths and read the answer as the object.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../../../functions/k8s-events/app.js";
import type { ClusterReader } from "../../../lib/k8s/reader.js";
import { type Rig, reconcileConfig, refEvent, silentLogger, startRig } from "./harness.js";

/** `reader` with every call recorded by method name. */
function recording(reader: ClusterReader, calls: string[]): ClusterReader {
  return new Proxy(reader, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push(String(property));
        return value.apply(target, args);
      };
    },
  });
}

describe("k8s-events: object names are validated before any API call", () => {
  let rig: Rig;
  let calls: string[];
  let app: ReturnType<typeof createApp>;
  beforeEach(async () => {
    rig = await startRig(reconcileConfig());
    calls = [];
    app = createApp({
      reconcile: { ...rig.context, cluster: recording(rig.cluster, calls) },
      logger: silentLogger,
      readiness: async () => ({ ready: true }),
    });
  });
  afterEach(() => rig.stop());

  it("answers 400 to a Pod event without a namespace (defect 11), with the reason", async () => {
    const response = await app.request(refEvent("add", "Pod", "web-1"));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: expect.stringContaining("must name the object's namespace"),
    });
    expect(calls).toEqual([]);
  });

  it.each<[string, string, string | undefined]>([
    ["Pod", "..", "default"],
    ["Pod", "web-1", ".."],
    ["Node", "..", undefined],
    ["Node", "a/b", undefined],
    ["Endpoints", "svc", "Default"],
    ["EndpointSlice", "web-abcde", undefined],
    ["EndpointSlice", "..", "default"],
    ["Pod", "x".repeat(254), "default"],
  ])(
    "answers 400 to a %s named %j in namespace %j, and reads nothing (defect 12)",
    async (kind, name, namespace) => {
      const response = await app.request(refEvent("add", kind, name, namespace));
      expect(response.status).toBe(400);
      expect(calls).toEqual([]);
    },
  );

  it("still reads a well-named object", async () => {
    const response = await app.request(refEvent("add", "Pod", "web-1.a", "default"));
    expect(response.status).toBe(204);
    expect(calls.length).toBeGreaterThan(0);
  });
});
