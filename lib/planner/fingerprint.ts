/**
 * A fingerprint of a set of desired entries: equal for two sets exactly when SPIRE would hold the same
 * entries for them (same identities and the same SVID-shaping fields, as `isUpToDate` compares them).
 * Event handlers use it to notice that a re-read object still wants what was last written.
 */
import type { EntrySpec } from "./entry.js";
import { entryKey } from "./entry-key.js";

export function specsFingerprint(specs: readonly EntrySpec[]): string {
  const parts = specs.map((spec) =>
    JSON.stringify([
      entryKey(spec),
      spec.dnsNames,
      [...new Set(spec.federatesWith)].sort(),
      spec.admin,
      spec.downstream,
      spec.x509SvidTtl ?? null,
      spec.jwtSvidTtl ?? null,
      spec.hint ?? null,
    ]),
  );
  return [...new Set(parts)].sort().join("\n");
}
