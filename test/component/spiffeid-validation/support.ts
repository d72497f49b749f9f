/**
 * Shared pieces of the spiffeid-validation component tests: a manual clock for rotation, a logger
 * that keeps its records, and the fake SPIRE server with an SVID CA plus a real client on it.
 */
import { Writable } from "node:stream";
import pino, { type Logger } from "pino";
import { createSpireClient, type SpireClient } from "../../../lib/spire/client.js";
import { createUnixSocketTransport } from "../../../lib/spire/transport.js";
import type { RotationClock } from "../../../lib/webhook-svid/rotation.js";
import { type FakeSpireServer, startFakeSpireServer } from "../../fakes/spire-entry-server.js";
import { createFakeSvidCa, type FakeSvidCa } from "../../fakes/spire-svid-ca.js";

export const TD = "example.test";
export const START = Date.parse("2030-01-01T00:00:00Z");
export const HOUR_MS = 3_600_000;

export interface ManualClock extends RotationClock {
  /** Due times of the timers not yet run or cancelled, earliest first. */
  pending(): number[];
  /** Moves time to the earliest timer, runs it and waits for it to finish; answers its due time. */
  runNext(): Promise<number>;
}

export function createManualClock(start = START): ManualClock {
  let now = start;
  let timers: { at: number; task: () => Promise<void>; cancelled: boolean }[] = [];
  return {
    now: () => now,
    schedule(delayMs, task) {
      const timer = { at: now + delayMs, task, cancelled: false };
      timers.push(timer);
      return () => {
        timer.cancelled = true;
      };
    },
    pending: () =>
      timers
        .filter((t) => !t.cancelled)
        .map((t) => t.at)
        .sort((a, b) => a - b),
    async runNext() {
      timers = timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at);
      const next = timers.shift();
      if (!next) throw new Error("no timer is pending");
      now = Math.max(now, next.at);
      await next.task();
      return next.at;
    },
  };
}

export interface LogRecord {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger whose records (parsed) land in `records`. */
export function recordingLogger(): { logger: Logger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      records.push(JSON.parse(String(chunk)) as LogRecord);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), records };
}

export interface SpireWithCa {
  readonly server: FakeSpireServer;
  readonly ca: FakeSvidCa;
  readonly spire: SpireClient;
  stop(): Promise<void>;
}

/**
 * The fake SPIRE server with a CA issuing at `issueTime` (default: `clock`'s time), and a client
 * that retries quickly.
 */
export async function startSpireWithCa(
  clock: RotationClock,
  issueTime: () => Date = () => new Date(clock.now()),
): Promise<SpireWithCa> {
  const ca = await createFakeSvidCa({ trustDomain: TD, now: issueTime });
  const server = await startFakeSpireServer({ trustDomain: TD, svidMinter: ca });
  const spire = createSpireClient({
    transport: createUnixSocketTransport(server.socketPath),
    logger: pino({ level: "silent" }),
    retry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 1 },
    timeoutMs: 5_000,
  });
  return {
    server,
    ca,
    spire,
    async stop() {
      spire.close();
      await server.stop();
    },
  };
}
