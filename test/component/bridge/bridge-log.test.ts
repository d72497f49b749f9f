import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { startBridge } from "../../../lib/bridge/bridge.js";
import { type FakeKubeApi, startFakeKubeApi } from "../../fakes/kube-api-server.js";

describe("the watch bridge's log lines", () => {
  let api: FakeKubeApi | undefined;
  afterEach(async () => {
    await api?.stop();
  });

  it("name the event mode event_mode, so a logger carrying the registrar's mode has each key once", async () => {
    api = await startFakeKubeApi();
    const lines: string[] = [];
    const logger = pino({ level: "info" }, { write: (line: string) => lines.push(line) }).child({
      mode: "reconcile",
    });
    const bridge = await startBridge({
      client: api.client,
      resources: ["pods"],
      sink: "http://127.0.0.1:1/events",
      post: async () => 204,
      logger,
    });
    await bridge.stop();
    const watching = lines.find((line) => line.includes('"msg":"bridge watching"'));
    expect(watching).toBeDefined();
    expect(watching?.match(/"mode":/g)).toHaveLength(1);
    expect(JSON.parse(watching as string)).toMatchObject({ mode: "reconcile", event_mode: "Reference" });
  });
});
