/**
 * Registration entries as spire-controller-manager declares them: the planner's entry shape with every
 * SVID field set (SCM always sends TTLs, hint and `store_svid`), the TTLs also kept as exact durations
 * (SCM compares durations, so `1.5s` differs from SPIRE's `1` on every pass), SCM's entry key, and its
 * `type:value` selector syntax.
 */
import type { EntrySpec, Selector } from "../planner/entry.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import { compareGoStrings } from "./go-text.js";

/** An entry spec with all of the fields SCM writes. TTLs are in seconds, as sent. */
export interface ScmEntrySpec extends EntrySpec {
  readonly x509SvidTtl: number;
  readonly jwtSvidTtl: number;
  readonly hint: string;
  readonly storeSvid: boolean;
}

/** An entry SCM would declare: its spec, and the declared TTLs as nanoseconds. */
export interface RenderedEntry {
  readonly spec: ScmEntrySpec;
  readonly x509SvidTtl: bigint;
  readonly jwtSvidTtl: bigint;
}

/**
 * SCM's entry key: SPIFFE ID, parent ID and the selectors sorted by type then value. Unlike the planner's
 * `entryKey`, duplicate selectors count (SCM hashes the sorted list as it is), so an entry declaring a
 * selector twice never matches one SPIRE stored once.
 */
export function scmEntryKey(spec: Pick<EntrySpec, "spiffeId" | "parentId" | "selectors">): string {
  const selectors = [...spec.selectors]
    .sort(compareSelectors)
    .map((selector) => [selector.type, selector.value]);
  return JSON.stringify([spec.spiffeId, spec.parentId, selectors]);
}

function compareSelectors(a: Selector, b: Selector): number {
  return compareGoStrings(a.type, b.type) || compareGoStrings(a.value, b.value);
}

/**
 * A `type:value` selector as SCM reads workload selector templates and ClusterStaticEntry selectors: split
 * at the first colon, type and value non-empty (SCM's messages).
 */
export function parseSelector(text: string): Result<Selector> {
  const colon = text.indexOf(":");
  if (colon === -1) return fail("expected at least one colon separate the type from the value");
  if (colon === 0) return fail("type cannot be empty");
  if (colon === text.length - 1) return fail("value cannot be empty");
  return ok({ type: text.slice(0, colon), value: text.slice(colon + 1) });
}
