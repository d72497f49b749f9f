/**
 * When the registrar's resyncs ran, from its own log: each resync ends with one JSON line
 * `"resync done"` (or `"resync failed: ..."`) carrying its ISO `time`, its `durationMs` and how many
 * SPIRE `entries` it listed. A ListEntries call without a filter is a resync's when it lies inside
 * such a window: the check that no event lists every SPIRE entry.
 */
import type { FullListCall } from "./spire-proxy.js";

export interface ResyncWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly ok: boolean;
  /** SPIRE entries the resync listed, and what it wrote (`existing`: creates SPIRE already had). */
  readonly entries: number;
  readonly created: number;
  readonly existing: number;
  readonly updated: number;
  readonly deleted: number;
}

/** The resyncs a registrar log (pino JSON lines) reports, in order. */
export function resyncWindows(log: string): ResyncWindow[] {
  const windows: ResyncWindow[] = [];
  for (const line of log.split("\n")) {
    if (!line.includes('"resync done"') && !line.includes('"resync failed')) continue;
    let fields: Record<string, unknown>;
    try {
      fields = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const msg = String(fields.msg ?? "");
    const endMs = Date.parse(String(fields.time ?? ""));
    const durationMs = Number(fields.durationMs);
    if ((msg !== "resync done" && !msg.startsWith("resync failed")) || Number.isNaN(endMs)) continue;
    if (!Number.isFinite(durationMs)) continue;
    const count = (name: string) => (typeof fields[name] === "number" ? (fields[name] as number) : 0);
    windows.push({
      startMs: endMs - durationMs,
      endMs,
      ok: msg === "resync done",
      entries: count("entries"),
      created: count("created"),
      existing: count("existing"),
      updated: count("updated"),
      deleted: count("deleted"),
    });
  }
  return windows;
}

/**
 * The calls that lie in no window, allowing `slackMs` at both ends (the log's time is written
 * after the resync's own clock stopped; the proxy stamps a call when it passes through).
 */
export function outsideWindows(
  calls: readonly FullListCall[],
  windows: readonly ResyncWindow[],
  slackMs = 250,
): FullListCall[] {
  return calls.filter(
    (call) =>
      !windows.some(
        (window) => call.startMs >= window.startMs - slackMs && call.endMs <= window.endMs + slackMs,
      ),
  );
}
