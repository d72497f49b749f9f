/**
 * What the project's processes count themselves, read from their Prometheus `/metrics` after each
 * phase (outside its measuring window): the events their functions handled
 * (`registrar_events_total`) and the SPIRE RPCs they sent (`registrar_spire_rpc_duration_seconds_count`,
 * one per ListEntries page), and in cluster-spiffeid mode the time its passes for pod events spent per
 * step (`registrar_pass_phase_duration_seconds{scope="pod"}`). Per phase, the difference between two
 * readings: "ListEntries per event", and where a pod event's pass waits.
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
  /** cluster-spiffeid mode: passes scoped to pods (their `render` steps). */
  podPasses: number;
  /** cluster-spiffeid mode: seconds those passes spent per step (kubernetes_read, render, spire_list, ...). */
  podPassSeconds: Record<string, number>;
}

export function noRegistrarCounts(): RegistrarCounts {
  return { events: 0, podEvents: 0, listEntries: 0, spireRpcs: 0, podPasses: 0, podPassSeconds: {} };
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
    } else if (
      name?.startsWith("registrar_pass_phase_duration_seconds_") &&
      label(labels, "scope") === "pod"
    ) {
      const step = label(labels, "phase") ?? "";
      if (name.endsWith("_sum")) counts.podPassSeconds[step] = (counts.podPassSeconds[step] ?? 0) + value;
      else if (name.endsWith("_count") && step === "render") counts.podPasses += value;
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
    add(sum, parseRegistrarMetrics(await response.text()), 1);
  }
  return sum;
}

/** Adds `sign` times `counts` to `into`. */
function add(into: RegistrarCounts, counts: RegistrarCounts, sign: 1 | -1): void {
  into.events += sign * counts.events;
  into.podEvents += sign * counts.podEvents;
  into.listEntries += sign * counts.listEntries;
  into.spireRpcs += sign * counts.spireRpcs;
  into.podPasses += sign * counts.podPasses;
  for (const [step, seconds] of Object.entries(counts.podPassSeconds))
    into.podPassSeconds[step] = (into.podPassSeconds[step] ?? 0) + sign * seconds;
}

/** `after` minus `before`. */
export function registrarCountsSince(before: RegistrarCounts, after: RegistrarCounts): RegistrarCounts {
  const diff = noRegistrarCounts();
  add(diff, after, 1);
  add(diff, before, -1);
  return diff;
}
