/**
 * Entry-set parity between systems that should write the same entries: each entry reduced to its
 * SPIFFE ID, parent, sorted selectors and DNS names (in order: the first is the certificate's CN),
 * compared as multisets. The project's two reconcile-mode paths and the Go registrar are compared on
 * those fields ("identity"); spire-controller-manager and the project's cluster-spiffeid mode, which
 * implement the same resources, on every field of the entry but its id and bookkeeping ("all":
 * also federatesWith, admin, downstream, TTLs, hint, storeSvid). A `k8s:pod-uid` selector is
 * compared by the pod it names (the burst's pods are new pods, with new UIDs, in every run).
 */
import type { Entry } from "../../../lib/planner/entry.js";
import type { PodUids } from "./pod-key.js";

/** Which fields of an entry parity compares. */
export type ParityFields = "identity" | "all";

/**
 * One line per entry, sorted: what parity compares. With `uids`, a `k8s:pod-uid:<uid>` selector of a
 * known pod reads `k8s:pod-uid:{<namespace>/<name>}`.
 */
export function canonicalEntries(
  entries: readonly Entry[],
  fields: ParityFields = "identity",
  uids?: PodUids,
): string[] {
  const selector = (type: string, value: string) => {
    const key =
      uids && type === "k8s" && value.startsWith(POD_UID)
        ? uids.keyOf(value.slice(POD_UID.length))
        : undefined;
    return key === undefined ? `${type}:${value}` : `${type}:${POD_UID}{${key}}`;
  };
  return entries
    .map((entry) => {
      const selectors = entry.selectors.map((s) => selector(s.type, s.value)).sort();
      const identity = `${entry.spiffeId} parent=${entry.parentId} selectors=[${selectors.join(",")}] dns=[${entry.dnsNames.join(",")}]`;
      if (fields === "identity") return identity;
      return [
        identity,
        `federatesWith=[${[...entry.federatesWith].sort().join(",")}]`,
        `admin=${entry.admin}`,
        `downstream=${entry.downstream}`,
        `x509SvidTtl=${entry.x509SvidTtl ?? 0}`,
        `jwtSvidTtl=${entry.jwtSvidTtl ?? 0}`,
        `hint=${JSON.stringify(entry.hint ?? "")}`,
        `storeSvid=${entry.storeSvid ?? false}`,
      ].join(" ");
    })
    .sort();
}

const POD_UID = "pod-uid:";

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
