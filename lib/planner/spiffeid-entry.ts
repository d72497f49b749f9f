/**
 * A SpiffeID's spec as the SPIRE entry it stands for (reference §4.4 step 3, v1.5.6 fields). Both IDs are
 * parsed first so a malformed resource is reported by field instead of failing at the SPIRE server.
 * Federated trust domains given in ID form (`spiffe://example.org`) are stored as bare names, which is
 * what SPIRE lists back, so the comparison with the live entry sees no false change.
 */
import { parseSpiffeId } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { EntrySpec } from "./entry.js";
import type { SpiffeIdSpec } from "./spiffeid.js";
import { spiffeIdSelectors } from "./spiffeid-selectors.js";

/** The entry of a SpiffeID spec, or why the spec cannot be one (the message names the field). */
export function spiffeIdToEntrySpec(spec: SpiffeIdSpec): Result<EntrySpec> {
  const parent = parseSpiffeId(spec.parentId ?? "");
  if (!parent.ok) return fail(`malformed CRD parent ID: ${parent.error}`);
  const spiffeId = parseSpiffeId(spec.spiffeId ?? "");
  if (!spiffeId.ok) return fail(`malformed CRD SPIFFE ID: ${spiffeId.error}`);
  const selectors = spiffeIdSelectors(spec.selector ?? {});
  if (selectors.length === 0) return fail("spec.selector yields no SPIRE selectors: set at least one field");
  const federatesWith: string[] = [];
  for (const item of spec.federatesWith ?? []) {
    const name = federatedName(item);
    if (!name.ok) return fail(`malformed CRD federatesWith ${JSON.stringify(item)}: ${name.error}`);
    if (!federatesWith.includes(name.value)) federatesWith.push(name.value);
  }
  return ok({
    spiffeId: spec.spiffeId,
    parentId: spec.parentId,
    selectors,
    dnsNames: [...(spec.dnsNames ?? [])],
    federatesWith,
    admin: false,
    downstream: spec.downstream === true,
  });
}

// Only the ID form is rewritten; other names go to SPIRE as written, and SPIRE says what is wrong with them.
function federatedName(item: string): Result<string> {
  if (!item.startsWith("spiffe://")) return ok(item);
  const id = parseSpiffeId(item);
  return id.ok ? ok(id.value.trustDomain) : id;
}
