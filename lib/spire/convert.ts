/**
 * The one place where domain entries (lib/planner/entry.ts) meet the SPIRE wire types.
 * Conversion never validates or throws: a malformed ID goes to the server as-is and comes back as
 * that item's InvalidArgument, so one bad entry cannot fail its batch.
 */
import { create } from "@bufbuild/protobuf";
import type { EntryMask, Entry as EntryMessage } from "../../proto/gen/spire/api/types/entry_pb.js";
import { EntryMaskSchema, EntrySchema } from "../../proto/gen/spire/api/types/entry_pb.js";
import type { SelectorMatch_MatchBehavior } from "../../proto/gen/spire/api/types/selector_pb.js";
import {
  SelectorMatch_MatchBehavior as MatchBehavior,
  SelectorSchema,
} from "../../proto/gen/spire/api/types/selector_pb.js";
import type { SPIFFEID } from "../../proto/gen/spire/api/types/spiffeid_pb.js";
import { SPIFFEIDSchema } from "../../proto/gen/spire/api/types/spiffeid_pb.js";
import type { Entry, EntrySpec, Selector } from "../planner/entry.js";

const SCHEME = "spiffe://";

/**
 * `spiffe://td/a/b` -> `{ trustDomain: "td", path: "/a/b" }`. A string without the scheme is
 * passed with an empty trust domain so the server rejects it (rather than us guessing).
 */
export function spiffeIdToProto(id: string): SPIFFEID {
  if (!id.startsWith(SCHEME)) return create(SPIFFEIDSchema, { trustDomain: "", path: id });
  const rest = id.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  return slash < 0
    ? create(SPIFFEIDSchema, { trustDomain: rest, path: "" })
    : create(SPIFFEIDSchema, { trustDomain: rest.slice(0, slash), path: rest.slice(slash) });
}

/** `{ trustDomain, path }` -> `spiffe://td/path`; an absent ID becomes "" (never a valid ID). */
export function spiffeIdFromProto(id: SPIFFEID | undefined): string {
  return id ? `${SCHEME}${id.trustDomain}${id.path}` : "";
}

/** A spec as a create request item. An `id` is sent only when given (SPIRE generates one otherwise). */
export function entrySpecToProto(spec: EntrySpec, id = ""): EntryMessage {
  return create(EntrySchema, {
    id,
    spiffeId: spiffeIdToProto(spec.spiffeId),
    parentId: spiffeIdToProto(spec.parentId),
    selectors: spec.selectors.map((s) => create(SelectorSchema, { type: s.type, value: s.value })),
    dnsNames: [...spec.dnsNames],
    federatesWith: [...spec.federatesWith],
    admin: spec.admin,
    downstream: spec.downstream,
    x509SvidTtl: spec.x509SvidTtl ?? 0,
    jwtSvidTtl: spec.jwtSvidTtl ?? 0,
    hint: spec.hint ?? "",
    storeSvid: spec.storeSvid ?? false,
  });
}

/**
 * A wire entry as a domain entry. Zero TTLs and an empty hint mean "unset" on the wire, so they
 * become absent fields, and `storeSvid` is present only when true: an entry of a mode that never sets
 * it reads back exactly as it was written. Fields the registrar does not write (expires_at,
 * additional_attributes, ...) are dropped.
 */
export function entryFromProto(message: EntryMessage): Entry {
  return {
    id: message.id,
    spiffeId: spiffeIdFromProto(message.spiffeId),
    parentId: spiffeIdFromProto(message.parentId),
    selectors: message.selectors.map((s): Selector => ({ type: s.type, value: s.value })),
    dnsNames: [...message.dnsNames],
    federatesWith: [...message.federatesWith],
    admin: message.admin,
    downstream: message.downstream,
    ...(message.x509SvidTtl !== 0 && { x509SvidTtl: message.x509SvidTtl }),
    ...(message.jwtSvidTtl !== 0 && { jwtSvidTtl: message.jwtSvidTtl }),
    ...(message.hint !== "" && { hint: message.hint }),
    ...(message.storeSvid && { storeSvid: true }),
    revisionNumber: message.revisionNumber,
    createdAt: message.createdAt,
  };
}

/**
 * The fields the registrar owns in its own modes. Updates send exactly this as the input mask so
 * fields set by someone else (store_svid, expires_at, additional_attributes) survive; a nil mask
 * would reset them.
 */
export function managedFieldsMask(): EntryMask {
  return create(EntryMaskSchema, {
    spiffeId: true,
    parentId: true,
    selectors: true,
    x509SvidTtl: true,
    federatesWith: true,
    admin: true,
    downstream: true,
    dnsNames: true,
    jwtSvidTtl: true,
    hint: true,
  });
}

/** How a selector filter compares an entry's selectors with the given ones. */
export type SelectorMatchMode = "exact" | "subset" | "superset" | "any";

const MATCH_BEHAVIORS: Record<SelectorMatchMode, SelectorMatch_MatchBehavior> = {
  exact: MatchBehavior.MATCH_EXACT,
  subset: MatchBehavior.MATCH_SUBSET,
  superset: MatchBehavior.MATCH_SUPERSET,
  any: MatchBehavior.MATCH_ANY,
};

/** The wire enum for a selector match mode. */
export function matchBehaviorToProto(mode: SelectorMatchMode): SelectorMatch_MatchBehavior {
  return MATCH_BEHAVIORS[mode];
}
