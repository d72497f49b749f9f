/**
 * What the `spiffeid-validation` webhook decides for one SpiffeID admission request (reference
 * §4.8), as pure functions: the app lists SPIRE entries for the duplicate check and hands them back.
 *
 * The checks and messages are the Go registrar's, in its order, with its bugs fixed:
 * - trust domains are compared on parsed IDs, so `spiffe://<td>.evil/x` is denied (Go compared a
 *   string prefix); a malformed ID is denied with the parser's reason, and so is an ID SPIRE would
 *   refuse (a bare trust domain, a workload ID under the reserved `/spire` path);
 * - the duplicate check on CREATE compares parent ID as well as SPIFFE ID (Go ignored the parent,
 *   so two entries that differ only by parent, which SPIRE allows, could not both be requested);
 * - DNS names are checked with the rules of the current SPIRE server (`dnsNameError`), so the reasons
 *   differ from v0.11's regex (e.g. single-character labels and `_` are now accepted).
 * On top of Go's checks, the tenant rules of spiffeid-tenancy.ts: no IDs reserved for the registrar,
 * no other namespace's `/ns/<ns>/...` IDs, downstream and admin only where configured, selectors of
 * plain strings without control characters, DNS names without control characters.
 * UPDATE runs the spec checks only; DELETE is always allowed.
 */

import { dnsNameError } from "../planner/dns-name.js";
import type { Entry, Selector } from "../planner/entry.js";
import { SPIFFEID_GROUP, SPIFFEID_KIND, type SpiffeIdSelector } from "../planner/spiffeid.js";
import { spiffeIdSelectors } from "../planner/spiffeid-selectors.js";
import { parseSpiffeId } from "../spiffe/id.js";
import type { AdmissionRequest } from "./review.js";
import {
  claimedIdError,
  rightsError,
  selectorShapeError,
  type TenantRules,
  textError,
} from "./spiffeid-tenancy.js";

/** Denial message of the duplicate check, the Go registrar's. */
export const DUPLICATE_DETECTED = "Duplicate detected";

export interface SpiffeIdValidationContext {
  readonly trustDomain: string;
  /** The namespace the registrar runs in: only there may SpiffeIDs use node (k8s_psat) selectors. */
  readonly registrarNamespace: string;
  /** What other namespaces may claim (config: downstream_namespaces, admin_namespaces, ...). */
  readonly tenants: TenantRules;
}

/** What the webhook must do: answer now, or first look for duplicate SPIRE entries (CREATE). */
export type SpiffeIdAdmission =
  | { readonly action: "allow"; readonly reason: string }
  | { readonly action: "deny"; readonly message: string }
  | { readonly action: "check-duplicates"; readonly duplicateCheck: DuplicateCheck };

/** The entry a new SpiffeID asks for, and the SPIRE entry it already owns (if its status says so). */
export interface DuplicateCheck {
  readonly spiffeId: string;
  readonly parentId: string;
  /** List SPIRE entries with exactly these selectors (never empty: the namespace rule ensures one). */
  readonly selectors: readonly Selector[];
  readonly ownEntryId?: string;
}

/** Decides one AdmissionRequest about a SpiffeID. */
export function decideSpiffeIdAdmission(
  request: AdmissionRequest,
  context: SpiffeIdValidationContext,
): SpiffeIdAdmission {
  const kind = request.kind;
  if (kind?.group !== SPIFFEID_GROUP || kind.kind !== SPIFFEID_KIND) {
    return {
      action: "allow",
      reason: "admission request received for unhandled object; check the webhook rules",
    };
  }
  if (request.operation === "DELETE") return { action: "allow", reason: "deletion is always allowed" };
  if (request.operation !== "CREATE" && request.operation !== "UPDATE") {
    return { action: "allow", reason: `operation ${String(request.operation)} is not validated` };
  }
  const checked = checkSpiffeIdResource(request.object, request.namespace ?? "", context);
  if (!checked.ok) return { action: "deny", message: checked.error };
  if (request.operation === "UPDATE") return { action: "allow", reason: "valid SpiffeID" };
  const { spec, entryId } = checked.value;
  return {
    action: "check-duplicates",
    duplicateCheck: {
      spiffeId: spec.spiffeId,
      parentId: spec.parentId,
      selectors: spiffeIdSelectors(spec.selector),
      ...(entryId !== undefined && { ownEntryId: entryId }),
    },
  };
}

/**
 * The denial message when SPIRE already has an entry for the same SPIFFE ID and parent (`entries`
 * were listed by exact selector match), other than the one this resource owns; else undefined.
 */
export function duplicateMessage(check: DuplicateCheck, entries: readonly Entry[]): string | undefined {
  const duplicate = entries.some(
    (entry) =>
      entry.spiffeId === check.spiffeId && entry.parentId === check.parentId && entry.id !== check.ownEntryId,
  );
  return duplicate ? DUPLICATE_DETECTED : undefined;
}

interface CheckedSpec {
  readonly parentId: string;
  readonly spiffeId: string;
  readonly selector: SpiffeIdSelector;
}

type Checked = { ok: true; value: { spec: CheckedSpec; entryId?: string } } | { ok: false; error: string };

/** The spec checks of CREATE and UPDATE (Go's `validateSpiffeID`), first failure wins. */
export function checkSpiffeIdResource(
  object: unknown,
  requestNamespace: string,
  context: SpiffeIdValidationContext,
): Checked {
  const deny = (error: string) => ({ ok: false, error }) as const;
  const resource = asRecord(object);
  const spec = asRecord(resource?.spec);
  if (!spec) return deny("spec is required");
  const { parentId, spiffeId } = spec;
  if (typeof parentId !== "string") return deny("spec.parentId is required and must be a string");
  if (typeof spiffeId !== "string") return deny("spec.spiffeId is required and must be a string");
  const selector = asRecord(spec.selector);
  if (!selector) return deny("spec.selector is required and must be an object");

  const idError =
    spiffeIdError("spec.parentId", parentId, context.trustDomain, "parent") ??
    spiffeIdError("spec.spiffeId", spiffeId, context.trustDomain, "workload");
  if (idError !== undefined) return deny(idError);

  const metadataNamespace = asRecord(resource?.metadata)?.namespace;
  const namespace =
    typeof metadataNamespace === "string" && metadataNamespace !== "" ? metadataNamespace : requestNamespace;
  const selectorError = selectorShapeError(selector);
  if (selectorError !== undefined) return deny(selectorError);
  const namespaceError = namespaceRuleError(selector as SpiffeIdSelector, namespace, context);
  if (namespaceError !== undefined) return deny(namespaceError);
  const claimed = parseSpiffeId(spiffeId);
  const tenantError =
    (claimed.ok
      ? claimedIdError(claimed.value, namespace, context.registrarNamespace, context.tenants)
      : undefined) ?? rightsError(spec, namespace, context.tenants);
  if (tenantError !== undefined) return deny(tenantError);

  const dnsNames = spec.dnsNames ?? [];
  if (!Array.isArray(dnsNames)) return deny("spec.dnsNames must be a list of strings");
  for (const name of dnsNames) {
    if (typeof name !== "string") return deny("spec.dnsNames must be a list of strings");
    const textReason = textError("spec.dnsNames", name);
    if (textReason !== undefined) return deny(textReason);
    const reason = dnsNameError(name);
    if (reason !== undefined) return deny(`invalid DNS name ${JSON.stringify(name)}: ${reason}`);
  }

  const entryId = asRecord(resource?.status)?.entryId;
  return {
    ok: true,
    value: {
      spec: { parentId, spiffeId, selector: selector as SpiffeIdSelector },
      ...(typeof entryId === "string" && entryId !== "" && { entryId }),
    },
  };
}

/**
 * Why `id` cannot be this field's SPIFFE ID. A workload ID must also be one SPIRE accepts for an
 * entry: with a path, and not under `/spire` (reserved for agents and servers; a parent may be there).
 */
function spiffeIdError(
  field: string,
  id: string,
  trustDomain: string,
  role: "parent" | "workload",
): string | undefined {
  const parsed = parseSpiffeId(id);
  if (!parsed.ok) return `${field} ${JSON.stringify(id)} is not a valid SPIFFE ID: ${parsed.error}`;
  if (parsed.value.trustDomain !== trustDomain) return `${field} must begin with spiffe://${trustDomain}`;
  const segments = parsed.value.segments;
  if (segments.length === 0) {
    return `${field} must have a path: SPIRE does not accept the bare trust domain spiffe://${trustDomain}`;
  }
  if (role === "workload" && segments[0] === "spire") {
    return `${field} must not be under spiffe://${trustDomain}/spire: SPIRE reserves that path for its agents and servers`;
  }
  return undefined;
}

function namespaceRuleError(
  selector: SpiffeIdSelector,
  namespace: string,
  context: SpiffeIdValidationContext,
): string | undefined {
  // Node selectors would let any namespace claim a node's identity, so only the registrar may use them.
  if (selector.cluster || selector.agent_node_uid) {
    return namespace === context.registrarNamespace
      ? undefined
      : "spec.Selector.Cluster and spec.Selector.AgentNodeUid can only be used by the k8s-workload-registrar";
  }
  return namespace === selector.namespace
    ? undefined
    : "spec.Selector.Namespace must match namespace of resource";
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
