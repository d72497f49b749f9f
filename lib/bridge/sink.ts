/**
 * Delivers CloudEvents to a sink URL the way the Knative adapter's HTTP client does: one POST per
 * event in binary mode, any 2xx is an ACK, anything else (or a connection error, or a timeout) is
 * retried with exponential backoff a few times. At most `concurrency` requests are in flight; the
 * rest wait in order. They share a keep-alive pool of at most `concurrency` connections, so a burst
 * of events opens a few connections, not one per event.
 */
import { Agent as HttpAgent, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Logger } from "pino";
import { LogField } from "../log/log-fields.js";
import { reasonOf } from "../log/reason.js";
import type { OutgoingEvent } from "./to-cloudevent.js";

/** What happened to one event: `status` is the last HTTP status (undefined: no response). */
export interface Delivery {
  readonly event: OutgoingEvent;
  readonly ok: boolean;
  readonly status: number | undefined;
  readonly attempts: number;
}

export interface SinkOptions {
  readonly url: string;
  /**
   * Delivers one event in-process and returns the HTTP status the receiving app answered (used by
   * `registrar serve`, whose functions run in the same process); default: POST it to `url`.
   */
  readonly post?: (event: OutgoingEvent) => Promise<number>;
  readonly logger: Logger;
  /** Requests in flight at once (default 8). */
  readonly concurrency?: number;
  /** Retries after the first attempt (default 5, as the adapter) and the first backoff (default 50 ms, doubling). */
  readonly retries?: number;
  readonly baseDelayMs?: number;
  /** Deadline of one attempt (default 10 s). */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface Sink {
  /** Queues `event`; resolves once it is delivered or given up on (never rejects). */
  send(event: OutgoingEvent): Promise<Delivery>;
  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void>;
  /** Drops queued events (they resolve as not delivered), stops retrying, waits for requests in flight. */
  close(): Promise<void>;
}

/**
 * Idle pooled connections are closed after this long: below Node's default server keep-alive
 * timeout (5 s, which the functions' servers keep), so a POST rarely meets a connection the
 * receiver has just closed.
 */
const IDLE_SOCKET_MS = 4_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSink(options: SinkOptions): Sink {
  const concurrency = options.concurrency ?? 8;
  const retries = options.retries ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const sleep = options.sleep ?? defaultSleep;
  const target = new URL(options.url);
  const secure = target.protocol === "https:";
  const pool = { keepAlive: true, maxSockets: concurrency, timeout: IDLE_SOCKET_MS };
  const agent = secure ? new HttpsAgent(pool) : new HttpAgent(pool);
  const send = secure ? httpsRequest : httpRequest;
  const queue: Array<() => Promise<void>> = [];
  let active = 0;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settleIfIdle = () => {
    if (active > 0 || queue.length > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const pump = () => {
    while (active < concurrency && queue.length > 0) {
      const job = queue.shift() as () => Promise<void>;
      active++;
      void job().finally(() => {
        active--;
        pump();
        settleIfIdle();
      });
    }
  };

  function attempt(event: OutgoingEvent): Promise<{ status?: number; error?: unknown }> {
    return new Promise((resolve) => {
      const headers = { ...event.headers, "content-length": String(Buffer.byteLength(event.body)) };
      const req = send(target, { method: "POST", headers, agent }, (res) => {
        // The body is read to its end so the connection goes back to the pool.
        res.resume();
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode });
        });
        res.on("error", (error) => {
          clearTimeout(timer);
          resolve({ error });
        });
      });
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      req.on("error", (error) => {
        clearTimeout(timer);
        resolve({ error });
      });
      req.end(event.body);
    });
  }

  async function attemptInProcess(
    post: (event: OutgoingEvent) => Promise<number>,
    event: OutgoingEvent,
  ): Promise<{ status?: number; error?: unknown }> {
    try {
      return { status: await post(event) };
    } catch (error) {
      return { error };
    }
  }

  async function deliver(event: OutgoingEvent): Promise<Delivery> {
    let last: { status?: number; error?: unknown } = {};
    for (let attempts = 1; ; attempts++) {
      last = options.post ? await attemptInProcess(options.post, event) : await attempt(event);
      const ok = last.status !== undefined && last.status >= 200 && last.status < 300;
      if (ok || attempts > retries || closed) {
        if (!ok) {
          options.logger.warn(
            {
              [LogField.eventId]: event.headers["ce-id"],
              [LogField.eventType]: event.headers["ce-type"],
              [LogField.address]: options.url,
              status: last.status,
              ...(last.error === undefined ? {} : { [LogField.reason]: reasonOf(last.error) }),
            },
            `event not delivered after ${attempts} attempts`,
          );
        }
        return { event, ok, status: last.status, attempts };
      }
      await sleep(baseDelayMs * 2 ** (attempts - 1));
    }
  }

  return {
    send(event) {
      if (closed) return Promise.resolve({ event, ok: false, status: undefined, attempts: 0 });
      return new Promise<Delivery>((resolve) => {
        queue.push(async () => {
          if (closed) return resolve({ event, ok: false, status: undefined, attempts: 0 });
          resolve(await deliver(event));
        });
        pump();
      });
    },
    idle() {
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) void job();
      await this.idle();
      agent.destroy();
    },
  };
}
