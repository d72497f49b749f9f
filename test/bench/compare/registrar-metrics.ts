/**
 * What the project's processes count themselves, read from their Prometheus `/metrics` after each
 * phase (outside its measuring window): the events their functions handled
 * (`registrar_events_total`) and the SPIRE RPCs they sent (`registrar_spire_rpc_duration_seconds_count`,
 * one per ListEntries page). Per phase, the difference between two readings: "ListEntries per event".
 */

/** Counters of one reading (summed over the system's processes), or of a phase (a difference). */
export interface RegistrarCounts {
  /** Events handled, every kind and outcome. */
  events: number;
  /** Of those, Pod events. */
  podEvents: number;
  /** ListEntries RPCs sent (pages), every status code. */
  listEntries: number;
  /** Every SPIRE RPC sent. */
  spireRpcs: number;
}

export function noRegistrarCounts(): RegistrarCounts {
  return { events: 0, podEvents: 0, listEntries: 0, spireRpcs: 0 };
}

/** The counters in a Prometheus text exposition. */
export function parseRegistrarMetrics(text: string): RegistrarCounts {
  const counts = noRegistrarCounts();
  for (const line of text.split("\n")) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (sample === null) continue;
    const [, name, labels = "", raw] = sample;
    const value = Number(raw);
    if (!Number.isFinite(value)) continue;
    if (name === "registrar_events_total") {
      counts.events += value;
      if (label(labels, "kind") === "Pod") counts.podEvents += value;
    } else if (name === "registrar_spire_rpc_duration_seconds_count") {
      counts.spireRpcs += value;
      if (label(labels, "method") === "ListEntries") counts.listEntries += value;
    }
  }
  return counts;
}

function label(labels: string, name: string): string | undefined {
  return new RegExp(`(?:^|,)${name}="([^"]*)"`).exec(labels)?.[1];
}

/** Reads every URL and sums the counters. */
export async function readRegistrarCounts(urls: readonly string[]): Promise<RegistrarCounts> {
  const sum = noRegistrarCounts();
  for (const url of urls) {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    const counts = parseRegistrarMetrics(await response.text());
    for (const key of Object.keys(sum) as (keyof RegistrarCounts)[]) sum[key] += counts[key];
  }
  return sum;
}

/** `after` minus `before`. */
export function registrarCountsSince(before: RegistrarCounts, after: RegistrarCounts): RegistrarCounts {
  const diff = { ...after };
  for (const key of Object.keys(diff) as (keyof RegistrarCounts)[]) diff[key] -= before[key];
  return diff;
}
