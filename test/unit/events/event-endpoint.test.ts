import pino from "pino";
import { describe, expect, it, vi } from "vitest";
import { type EventReply, eventHandler, recordHeaders } from "../../../lib/events/event-endpoint.js";
import { createMetrics } from "../../../lib/metrics/metrics.js";

const logger = pino({ level: "silent" });

function podEvent(name: string) {
  return {
    headers: recordHeaders({
      "ce-id": `id-${name}`,
      "ce-specversion": "1.0",
      "ce-type": "dev.knative.apiserver.ref.add",
      "ce-source": "https://127.0.0.1:6443",
      "content-type": "application/json",
    }),
    body: JSON.stringify({ apiVersion: "v1", kind: "Pod", name, namespace: "default" }),
  };
}

describe("eventHandler", () => {
  it("answers after the reconcile with processed acks", async () => {
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      handle: async (hint) => ({ status: hint.name === "bad" ? 503 : 204 }),
    });
    expect(await handler.handle(podEvent("good"))).toEqual({ status: 204 });
    expect(await handler.handle(podEvent("bad"))).toEqual({ status: 503 });
  });

  it("answers 202 at once with accepted acks, and retries a 503 in the background until it is done", async () => {
    const metrics = createMetrics();
    const calls: string[] = [];
    let failures = 2;
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      metrics,
      ack: "accepted",
      retryDelaysMs: [1, 1, 1],
      handle: async (hint): Promise<EventReply> => {
        calls.push(hint.name);
        await released;
        return { status: failures-- > 0 ? 503 : 204 };
      },
    });
    expect(await handler.handle(podEvent("p"))).toEqual({ status: 202 });
    expect(calls).toEqual(["p"]);
    release();
    while (calls.length < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await handler.drain(5_000);
    expect(calls).toEqual(["p", "p", "p"]);
    // Counted once, by its final outcome.
    const text = await metrics.registry.metrics();
    expect(text).toContain(
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"} 1',
    );
    expect(text).not.toContain('outcome="retry"');
  });

  it("gives up after its retries", async () => {
    let calls = 0;
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      ack: "accepted",
      retryDelaysMs: [1, 1],
      handle: async () => {
        calls++;
        return { status: 503 };
      },
    });
    await handler.handle(podEvent("p"));
    while (calls < 3) await new Promise((resolve) => setTimeout(resolve, 5));
    await handler.drain(5_000);
    expect(calls).toBe(3);
  });

  it("on a drain retries a waiting event at once, then every first backoff until the deadline, then gives up", async () => {
    const metrics = createMetrics();
    let calls = 0;
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      metrics,
      ack: "accepted",
      retryDelaysMs: [10, 60_000],
      handle: async () => {
        calls++;
        return { status: 503 };
      },
    });
    await handler.handle(podEvent("p"));
    while (calls < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    // Now it waits a minute for its third try; the drain does not.
    await handler.drain(200);
    expect(calls).toBeGreaterThan(3);
    // Its last try may still be running when the drain's time is up; then it gives up, counted once.
    await vi.waitFor(async () =>
      expect(await metrics.registry.metrics()).toContain(
        'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="retry"} 1',
      ),
    );
  });

  it("on a drain reconciles an event whose retries succeed before the deadline (SPIRE back after the SIGTERM)", async () => {
    const metrics = createMetrics();
    let spireUp = false;
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      metrics,
      ack: "accepted",
      retryDelaysMs: [10, 60_000],
      handle: async () => ({ status: spireUp ? 204 : 503 }),
    });
    await handler.handle(podEvent("p"));
    await new Promise((resolve) => setTimeout(resolve, 30));
    const drained = handler.drain(10_000);
    setTimeout(() => {
      spireUp = true;
    }, 50);
    await drained;
    expect(await metrics.registry.metrics()).toContain(
      'registrar_events_total{kind="Pod",type="dev.knative.apiserver.ref.add",outcome="done"} 1',
    );
  });

  it("still answers a broken event at once, whatever the ack", async () => {
    const handler = eventHandler({
      kinds: ["Pod"],
      logger,
      ack: "accepted",
      handle: async () => ({ status: 204 }),
    });
    const reply = await handler.handle({ headers: recordHeaders({}), body: "{}" });
    expect(reply.status).toBe(400);
  });

  it("labels metrics from closed sets after reading the event, so made-up kinds and types cannot grow /metrics (hardening defect 2)", async () => {
    const metrics = createMetrics();
    const handler = eventHandler({ kinds: ["Pod"], logger, metrics, handle: async () => ({ status: 204 }) });
    const madeUp = (i: number) => {
      return {
        body: i % 2 === 0 ? JSON.stringify({ apiVersion: "v1", kind: `Kind${i}`, name: "p" }) : "{",
        headers: recordHeaders({
          "ce-id": `id-${i}`,
          "ce-specversion": "1.0",
          "ce-type": i % 3 === 0 ? "dev.knative.apiserver.ref.add" : `com.example.${i}.${"x".repeat(100)}`,
          "ce-source": "s",
          "ce-kind": `Kind${i}`,
          "content-type": "application/json",
        }),
      };
    };
    const series = (text: string) =>
      text.split("\n").filter((line) => line.startsWith("registrar_events_total{"));
    for (let i = 0; i < 30; i++) await handler.handle(madeUp(i));
    const early = series(await metrics.registry.metrics());
    for (let i = 30; i < 3_000; i++) await handler.handle(madeUp(i));
    const text = await metrics.registry.metrics();
    expect(series(text)).toHaveLength(early.length);
    expect(text).not.toMatch(/Kind\d|com\.example/);
  });
});
