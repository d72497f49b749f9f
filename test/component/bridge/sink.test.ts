import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createSink } from "../../../lib/bridge/sink.js";
import { toCloudEvent } from "../../../lib/bridge/to-cloudevent.js";

const logger = pino({ level: "silent" });
const noWait = () => Promise.resolve();

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

let server: Server | undefined;

async function startSink(
  answer: (index: number) => Promise<number> | number,
): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", async () => {
      const index = received.length;
      received.push({ headers: req.headers, body });
      res.writeHead(await answer(index));
      res.end();
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received };
}

afterEach(async () => {
  const current = server;
  server = undefined;
  if (current) {
    current.closeAllConnections();
    await new Promise<void>((resolve) => current.close(() => resolve()));
  }
});

const event = (name: string) =>
  toCloudEvent(
    "add",
    { apiVersion: "v1", kind: "Pod", metadata: { name, namespace: "ns" } },
    {
      mode: "Reference",
      source: "https://api",
      id: `id-${name}`,
    },
  );

describe("createSink", () => {
  it("POSTs the event in binary mode and retries non-2xx answers until one is accepted", async () => {
    const { url, received } = await startSink((index) => (index < 2 ? 503 : 202));
    const sink = createSink({ url, logger, sleep: noWait });
    const delivery = await sink.send(event("a"));
    expect(delivery).toMatchObject({ ok: true, status: 202, attempts: 3 });
    expect(received).toHaveLength(3);
    expect(received[2]?.headers["ce-type"]).toBe("dev.knative.apiserver.ref.add");
    expect(received[2]?.headers["content-type"]).toBe("application/json");
    expect(JSON.parse(received[2]?.body ?? "")).toEqual({
      kind: "Pod",
      namespace: "ns",
      name: "a",
      apiVersion: "v1",
    });
  });

  it("gives up after the configured retries and reports the last status", async () => {
    const { url, received } = await startSink(() => 500);
    const sink = createSink({ url, logger, retries: 2, sleep: noWait });
    expect(await sink.send(event("b"))).toMatchObject({ ok: false, status: 500, attempts: 3 });
    expect(received).toHaveLength(3);
  });

  it("treats a refused connection as a failure to retry", async () => {
    const { url } = await startSink(() => 204);
    const current = server;
    server = undefined;
    await new Promise<void>((resolve) => current?.close(() => resolve()));
    const sink = createSink({ url, logger, retries: 1, sleep: noWait });
    expect(await sink.send(event("c"))).toMatchObject({ ok: false, status: undefined, attempts: 2 });
  });

  it("keeps at most `concurrency` requests in flight and delivers every event", async () => {
    let inFlight = 0;
    let most = 0;
    const { url, received } = await startSink(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return 204;
    });
    const sink = createSink({ url, logger, concurrency: 3 });
    const deliveries = await Promise.all(Array.from({ length: 12 }, (_, i) => sink.send(event(`p${i}`))));
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect(received).toHaveLength(12);
    expect(most).toBeLessThanOrEqual(3);
    await sink.idle();
  });

  it("drops queued events on close", async () => {
    const { url } = await startSink(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return 204;
    });
    const sink = createSink({ url, logger, concurrency: 1 });
    const first = sink.send(event("d1"));
    const second = sink.send(event("d2"));
    await sink.close();
    expect((await first).ok).toBe(true);
    expect(await second).toMatchObject({ ok: false, attempts: 0 });
  });
});

describe("createSink connections", () => {
  it("reuses connections: 100 sequential POSTs over at most 2, 100 concurrent over at most `concurrency`", async () => {
    const { url, received } = await startSink(() => 204);
    let connections = 0;
    server?.on("connection", () => connections++);
    const sink = createSink({ url, logger, concurrency: 4 });
    for (let i = 0; i < 100; i++) expect((await sink.send(event(`s${i}`))).ok).toBe(true);
    expect(connections).toBeLessThanOrEqual(2);
    const before = connections;
    const deliveries = await Promise.all(Array.from({ length: 100 }, (_, i) => sink.send(event(`c${i}`))));
    expect(deliveries.every((d) => d.ok)).toBe(true);
    expect(received).toHaveLength(200);
    expect(connections - before).toBeLessThanOrEqual(4);
    await sink.close();
  });
});

describe("createSink, in-process", () => {
  it("hands events to `post` without a connection, retrying non-2xx answers and failures", async () => {
    const seen: string[] = [];
    const answers: Array<number | Error> = [503, new Error("handler threw"), 204];
    const sink = createSink({
      url: "in-process:/events",
      logger,
      sleep: noWait,
      post: async (event) => {
        seen.push(event.headers["ce-id"] ?? "");
        const answer = answers.shift() ?? 204;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    });
    const event = toCloudEvent(
      "add",
      { apiVersion: "v1", kind: "Pod", metadata: { name: "p", namespace: "ns" } },
      { mode: "Reference", source: "https://127.0.0.1:6443", id: "e1" },
    );
    const delivery = await sink.send(event);
    expect(delivery).toMatchObject({ ok: true, status: 204, attempts: 3 });
    expect(seen).toEqual(["e1", "e1", "e1"]);
    await sink.close();
  });
});
