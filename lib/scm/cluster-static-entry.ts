/**
 * ClusterStaticEntry (spire.spiffe.io/v1alpha1): one entry written as is, no templates (SCM's
 * `renderStaticEntry`, in its order and with its messages). Its IDs may be in any trust domain. There is no
 * admission webhook for it: a spec that does not render only sets `status.rendered` to false.
 */
import { parseSpiffeId, trustDomainFromString } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";
import type { SpecError } from "./cluster-spiffeid.js";
import { durationToSeconds } from "./duration.js";
import { parseSelector, type RenderedEntry } from "./entry.js";
import { collectFields, SpecFields } from "./spec-decode.js";

/** `status` of a ClusterStaticEntry as SCM computes it each pass. */
export interface ClusterStaticEntryStatus {
  readonly rendered: boolean;
  readonly masked: boolean;
  /** True only when this pass created the entry (SCM's `IncrementEntrySuccess` runs for creates only). */
  readonly set: boolean;
}

/** Renders a ClusterStaticEntry `spec` into its entry, or why it cannot. */
export function renderStaticEntry(spec: unknown): Result<RenderedEntry, SpecError> {
  const decoded = decodeStaticSpec(spec);
  if (!decoded.ok) return fail({ kind: "decode", message: decoded.error });
  const fields = decoded.value;
  const spiffeId = parseSpiffeId(fields.spiffeID);
  if (!spiffeId.ok) return invalid(`failed to parse SPIFFEID: ${spiffeId.error}`);
  const parentId = parseSpiffeId(fields.parentID);
  if (!parentId.ok) return invalid(`failed to parse ParentID: ${parentId.error}`);
  const selectors = [];
  for (const text of fields.selectors) {
    const selector = parseSelector(text);
    if (!selector.ok) return invalid(`failed to parse Selectors: ${selector.error}`);
    selectors.push(selector.value);
  }
  const federatesWith: string[] = [];
  for (const value of fields.federatesWith) {
    const trustDomain = trustDomainFromString(value);
    if (!trustDomain.ok) return invalid(`invalid federatesWith value: ${trustDomain.error}`);
    federatesWith.push(trustDomain.value);
  }
  return ok({
    spec: {
      spiffeId: fields.spiffeID,
      parentId: fields.parentID,
      selectors,
      dnsNames: fields.dnsNames,
      federatesWith,
      admin: fields.admin,
      downstream: fields.downstream,
      x509SvidTtl: durationToSeconds(fields.x509SVIDTTL),
      jwtSvidTtl: durationToSeconds(fields.jwtSVIDTTL),
      hint: fields.hint,
      storeSvid: fields.storeSVID,
    },
    x509SvidTtl: fields.x509SVIDTTL,
    jwtSvidTtl: fields.jwtSVIDTTL,
  });
}

function invalid(message: string): Result<never, SpecError> {
  return fail({ kind: "invalid", message });
}

function decodeStaticSpec(spec: unknown) {
  const reader = SpecFields.of(spec, "ClusterStaticEntry", "ClusterStaticEntrySpec");
  if (!reader.ok) return reader;
  const fields = reader.value;
  return collectFields({
    spiffeID: fields.string("spiffeID"),
    parentID: fields.string("parentID"),
    selectors: fields.strings("selectors"),
    federatesWith: fields.strings("federatesWith"),
    x509SVIDTTL: fields.duration("x509SVIDTTL"),
    jwtSVIDTTL: fields.duration("jwtSVIDTTL"),
    dnsNames: fields.strings("dnsNames"),
    hint: fields.string("hint"),
    admin: fields.bool("admin"),
    downstream: fields.bool("downstream"),
    storeSVID: fields.bool("storeSVID"),
    className: fields.string("className"),
  });
}
