import pino from "pino";
import { describe, expect, it } from "vitest";
import { renewalTime, startRotation, type Validity } from "../../../lib/webhook-svid/rotation.js";
import { createManualClock, HOUR_MS, START } from "./support.js";

const silent = pino({ level: "silent" });
const validity = (from: number, lifetimeMs: number): Validity => ({
  notBefore: new Date(from),
  notAfter: new Date(from + lifetimeMs),
});

describe("startRotation", () => {
  it("renews halfway through the lifetime, measured from NotBefore", () => {
    expect(renewalTime(validity(START - HOUR_MS, 4 * HOUR_MS))).toBe(START + HOUR_MS);
  });

  it("treats a renewal that throws (e.g. the files cannot be written) as a failure to retry", async () => {
    const clock = createManualClock();
    let calls = 0;
    const rotation = startRotation({
      current: validity(START, HOUR_MS),
      renew: async () => {
        calls++;
        if (calls === 1) throw new Error("writing /certs/tls.key: ENOSPC");
        return { ok: true, value: validity(clock.now(), HOUR_MS) };
      },
      clock,
      logger: silent,
      backoff: { initialDelayMs: 5_000, maxDelayMs: 5_000 },
    });
    await clock.runNext();
    expect(clock.pending()).toEqual([START + HOUR_MS / 2 + 5_000]);
    await clock.runNext();
    expect(calls).toBe(2);
    expect(clock.pending()).toEqual([START + HOUR_MS / 2 + 5_000 + HOUR_MS / 2]);
    rotation.stop();
  });

  it("caps the backoff", async () => {
    const clock = createManualClock();
    const rotation = startRotation({
      current: validity(START, HOUR_MS),
      renew: async () => ({ ok: false, error: "SPIRE down" }),
      clock,
      logger: silent,
      backoff: { initialDelayMs: 1_000, maxDelayMs: 4_000 },
    });
    const due: number[] = [];
    for (let i = 0; i < 5; i++) due.push(await clock.runNext());
    const gaps = due.slice(1).map((at, i) => at - (due[i] as number));
    expect(gaps).toEqual([1_000, 2_000, 4_000, 4_000]);
    rotation.stop();
  });

  it("schedules nothing after stop", () => {
    const clock = createManualClock();
    const rotation = startRotation({
      current: validity(START, HOUR_MS),
      renew: async () => ({ ok: false, error: "unused" }),
      clock,
      logger: silent,
    });
    expect(clock.pending()).toHaveLength(1);
    rotation.stop();
    expect(clock.pending()).toEqual([]);
  });
});
