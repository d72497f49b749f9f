/**
 * Which differences between a desired spec and an existing entry with the same key change the issued SVID,
 * and so justify an update. DNS names compare in order because the first becomes the certificate's CN;
 * federatesWith compares as a set (the Go registrar ignored it, so changes never propagated).
 */
import type { EntrySpec } from "./entry.js";

export type SvidField =
  | "dnsNames"
  | "federatesWith"
  | "admin"
  | "downstream"
  | "x509SvidTtl"
  | "jwtSvidTtl"
  | "hint";

/**
 * The fields of `current` that differ from `desired`. TTLs and hint count only when `desired` sets them, so
 * values an operator set on an entry the registrar does not manage are left alone.
 */
export function outdatedFields(desired: EntrySpec, current: EntrySpec): SvidField[] {
  const outdated: SvidField[] = [];
  if (!sameList(desired.dnsNames, current.dnsNames)) outdated.push("dnsNames");
  if (!sameSet(desired.federatesWith, current.federatesWith)) outdated.push("federatesWith");
  if (desired.admin !== current.admin) outdated.push("admin");
  if (desired.downstream !== current.downstream) outdated.push("downstream");
  if (desired.x509SvidTtl !== undefined && desired.x509SvidTtl !== (current.x509SvidTtl ?? 0))
    outdated.push("x509SvidTtl");
  if (desired.jwtSvidTtl !== undefined && desired.jwtSvidTtl !== (current.jwtSvidTtl ?? 0))
    outdated.push("jwtSvidTtl");
  if (desired.hint !== undefined && desired.hint !== (current.hint ?? "")) outdated.push("hint");
  return outdated;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** `outdatedFields(desired, current).length === 0`, without allocating: diff asks this of every entry. */
export function isUpToDate(desired: EntrySpec, current: EntrySpec): boolean {
  return (
    sameList(desired.dnsNames, current.dnsNames) &&
    sameSet(desired.federatesWith, current.federatesWith) &&
    desired.admin === current.admin &&
    desired.downstream === current.downstream &&
    (desired.x509SvidTtl === undefined || desired.x509SvidTtl === (current.x509SvidTtl ?? 0)) &&
    (desired.jwtSvidTtl === undefined || desired.jwtSvidTtl === (current.jwtSvidTtl ?? 0)) &&
    (desired.hint === undefined || desired.hint === (current.hint ?? ""))
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  // Usually both are empty or in the same order; only then is a set comparison needed.
  if (sameList(a, b)) return true;
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((value) => right.has(value));
}
