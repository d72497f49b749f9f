/**
 * Progress lines for a long benchmark: the current step when it starts, then again every
 * `everyMs` (default 10 s) with how long it has run and an optional detail (e.g. entries so far).
 * Each line starts with `[<tag> +<seconds since start>]`.
 */
import { performance } from "node:perf_hooks";

export interface Progress {
  /** Starts a step: prints it now and every `everyMs` until the next step or `stop()`. */
  step(label: string, detail?: () => string): void;
  /** Prints a one-off line. */
  note(line: string): void;
  stop(): void;
}

export function createProgress(write: (line: string) => void, everyMs = 10_000, tag = "compare"): Progress {
  const startedAt = performance.now();
  let label = "";
  let stepAt = startedAt;
  let detail: (() => string) | undefined;
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(0)} s`;
  const line = (text: string) => write(`[${tag} +${seconds(startedAt)}] ${text}`);
  const timer = setInterval(() => {
    if (label === "") return;
    const extra = detail ? `, ${detail()}` : "";
    line(`${label}: running for ${seconds(stepAt)}${extra}`);
  }, everyMs);
  timer.unref();
  return {
    step(next, nextDetail) {
      label = next;
      detail = nextDetail;
      stepAt = performance.now();
      line(next);
    },
    note: line,
    stop() {
      clearInterval(timer);
      label = "";
    },
  };
}
