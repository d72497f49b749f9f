/** The bridge's log of deliveries (`delivered`): the latest ones, oldest first, trimmed in bulk. */
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Bridge, startBridge } from "../../../lib/bridge/bridge.js";
import { type FakeKubeApi, startFakeKubeApi } from "../../fakes/kube-api-server.js";

describe("the bridge's delivered log", () => {
  let api: FakeKubeApi | undefined;
  let bridge: Bridge | undefined;
  afterEach(async () => {
    await bridge?.stop();
    await api?.stop();
  });

  it("keeps the latest keepDelivered at least, oldest first, trimming once it holds twice as many", async () => {
    api = await startFakeKubeApi();
    const started = await startBridge({
      client: api.client,
      resources: ["pods"],
      sink: "http://127.0.0.1:1/events",
      post: async () => 204,
      keepDelivered: 2,
      concurrency: 1,
      logger: pino({ level: "silent" }),
    });
    bridge = started;
    await vi.waitFor(() => expect(api?.openWatches()).toBe(1));
    const names = () => started.delivered.map((delivery) => delivery.event.headers["ce-name"]);
    /** Sends the pod `name`'s add and waits until its delivery is logged. */
    const deliver = async (name: string) => {
      api?.sendWatchEvent("ADDED", { metadata: { name, namespace: "ns", resourceVersion: "2" } });
      await vi.waitFor(() => expect(names()).toContain(name));
    };
    const seen: (string | undefined)[][] = [];
    for (const name of ["p1", "p2", "p3", "p4", "p5", "p6", "p7"]) {
      await deliver(name);
      seen.push(names());
    }
    expect(seen).toEqual([
      ["p1"],
      ["p1", "p2"],
      ["p1", "p2", "p3"],
      ["p1", "p2", "p3", "p4"],
      ["p4", "p5"],
      ["p4", "p5", "p6"],
      ["p4", "p5", "p6", "p7"],
    ]);
  });
});
