/**
 * The `spiffe.io/federatesWith` annotation (reference §1.7). Go splits the value on `,` without trimming,
 * so `"a.org, b.org"` or an empty value produced a trust domain SPIRE rejects and the entry failed forever.
 * We trim, drop empty items, de-duplicate, and drop invalid names with a warning instead. Like SPIRE's
 * `TrustDomainFromString`, an item in ID form (`spiffe://example.org`) names its trust domain; we store the
 * bare name because that is what SPIRE lists back, so the diff sees no false change.
 */
import { trustDomainFromString } from "../spiffe/id.js";

export const FEDERATES_WITH_ANNOTATION = "spiffe.io/federatesWith";

/** The trust domains to federate with, in first-seen order, plus the items that were not valid names. */
export function parseFederatesWith(annotations: Readonly<Record<string, string>> | undefined): {
  readonly trustDomains: string[];
  readonly invalid: { readonly item: string; readonly reason: string }[];
} {
  const value = annotations?.[FEDERATES_WITH_ANNOTATION];
  const trustDomains: string[] = [];
  const invalid: { item: string; reason: string }[] = [];
  if (value === undefined) return { trustDomains, invalid };
  for (const raw of value.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const name = trustDomainFromString(item);
    if (!name.ok) invalid.push({ item, reason: name.error });
    else if (!trustDomains.includes(name.value)) trustDomains.push(name.value);
  }
  return { trustDomains, invalid };
}
