/**
 * Entry-set parity between systems that should write the same entries (the project's two paths
 * and the Go registrar): each entry reduced to its SPIFFE ID, parent, sorted selectors and DNS
 * names (in order: the first is the certificate's CN), compared as multisets.
 */
import type { Entry } from "../../../lib/planner/entry.js";

/** One line per entry, sorted: what parity compares. */
export function canonicalEntries(entries: readonly Entry[]): string[] {
  return entries
    .map((entry) => {
      const selectors = entry.selectors.map((s) => `${s.type}:${s.value}`).sort();
      return `${entry.spiffeId} parent=${entry.parentId} selectors=[${selectors.join(",")}] dns=[${entry.dnsNames.join(",")}]`;
    })
    .sort();
}

/** The outcome of comparing two systems' entries after one phase of one round. */
export interface ParityResult {
  readonly round: number;
  readonly phase: string;
  readonly systems: readonly [string, string];
  readonly match: boolean;
  /** Entries only the first system has (counted), and up to 5 of them. */
  readonly onlyFirst: number;
  readonly onlySecond: number;
  readonly examplesFirst: readonly string[];
  readonly examplesSecond: readonly string[];
}

const EXAMPLES = 5;

export function compareEntries(
  round: number,
  phase: string,
  first: { readonly system: string; readonly entries: readonly string[] },
  second: { readonly system: string; readonly entries: readonly string[] },
): ParityResult {
  const counts = new Map<string, number>();
  for (const line of first.entries) counts.set(line, (counts.get(line) ?? 0) + 1);
  for (const line of second.entries) counts.set(line, (counts.get(line) ?? 0) - 1);
  const onlyFirst: string[] = [];
  const onlySecond: string[] = [];
  for (const [line, count] of counts) {
    for (let i = 0; i < count; i++) onlyFirst.push(line);
    for (let i = 0; i < -count; i++) onlySecond.push(line);
  }
  return {
    round,
    phase,
    systems: [first.system, second.system],
    match: onlyFirst.length === 0 && onlySecond.length === 0,
    onlyFirst: onlyFirst.length,
    onlySecond: onlySecond.length,
    examplesFirst: onlyFirst.slice(0, EXAMPLES),
    examplesSecond: onlySecond.slice(0, EXAMPLES),
  };
}

/** A one-line summary: "MATCH" or the counts and a first example of each side. */
export function describeParity(result: ParityResult): string {
  const [a, b] = result.systems;
  const head = `round ${result.round} ${result.phase}: ${a} vs ${b}:`;
  if (result.match) return `${head} MATCH`;
  return [
    `${head} ${result.onlyFirst} only in ${a}, ${result.onlySecond} only in ${b}`,
    ...result.examplesFirst.map((line) => `    only ${a}: ${line}`),
    ...result.examplesSecond.map((line) => `    only ${b}: ${line}`),
  ].join("\n");
}
