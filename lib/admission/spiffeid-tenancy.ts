/**
 * What a namespace may ask for with a SpiffeID (DESIGN §2.9, tenants cannot mint identities). Anyone
 * allowed to create SpiffeIDs in a namespace gets SVIDs for what they describe, so by default a
 * SpiffeID may not:
 * - claim an ID reserved for the registrar (its node IDs and node aliases, in every mode's form),
 *   which would make the tenant's pods parents of other workloads (IDs under SPIRE's `/spire` are
 *   refused for every namespace by spiffeid-validation.ts);
 * - claim `/ns/<another namespace>/...`, the form the default identity template gives another
 *   namespace's service accounts (`allow_cross_namespace_ids` restores the Go registrar's behaviour);
 * - ask for `downstream` (a CA) or `admin` rights outside `downstream_namespaces` / `admin_namespaces`;
 * - carry control characters in a selector (a line break could smuggle a second selector into
 *   anything that reads selectors as lines).
 * The registrar's own namespace is exempt from the reserved-ID rule: its node SpiffeIDs live there.
 * Pure; the webhook denies with the returned message.
 */
import { WEBHOOK_ID_PREFIX } from "../planner/registrar-ids.js";
import type { SpiffeId } from "../spiffe/id.js";

export interface TenantRules {
  readonly cluster: string;
  readonly controllerName: string;
  readonly downstreamNamespaces: readonly string[];
  readonly adminNamespaces: readonly string[];
  readonly allowCrossNamespaceIds: boolean;
}

/** The rules when nothing is configured: no downstream or admin, no cross-namespace IDs. */
export function defaultTenantRules(cluster: string, controllerName = "spire-k8s-registrar"): TenantRules {
  return {
    cluster,
    controllerName,
    downstreamNamespaces: [],
    adminNamespaces: [],
    allowCrossNamespaceIds: false,
  };
}

/** Why a SpiffeID of `namespace` may not claim `id` (already parsed and in the trust domain), or undefined. */
export function claimedIdError(
  id: SpiffeId,
  namespace: string,
  registrarNamespace: string,
  rules: TenantRules,
): string | undefined {
  const segments = id.segments;
  if (namespace !== registrarNamespace && isReservedForRegistrar(segments, rules)) {
    return `spec.spiffeId ${JSON.stringify(`spiffe://${id.trustDomain}${id.path}`)} is reserved for the registrar's node IDs`;
  }
  if (
    !rules.allowCrossNamespaceIds &&
    segments[0] === "ns" &&
    segments.length > 1 &&
    segments[1] !== namespace
  ) {
    return `spec.spiffeId claims namespace ${JSON.stringify(segments[1])} from namespace ${JSON.stringify(namespace)}: IDs of the form /ns/<namespace>/... must name the SpiffeID's own namespace (see allow_cross_namespace_ids)`;
  }
  return undefined;
}

/** Why a SpiffeID of `namespace` may not have these rights, or undefined. */
export function rightsError(
  spec: Readonly<Record<string, unknown>>,
  namespace: string,
  rules: TenantRules,
): string | undefined {
  if (spec.downstream !== undefined && typeof spec.downstream !== "boolean") {
    return "spec.downstream must be a boolean";
  }
  if (spec.downstream === true && !rules.downstreamNamespaces.includes(namespace)) {
    return `spec.downstream is only allowed in the namespaces of downstream_namespaces, not in ${JSON.stringify(namespace)}`;
  }
  if (spec.admin !== undefined && typeof spec.admin !== "boolean") return "spec.admin must be a boolean";
  if (spec.admin === true && !rules.adminNamespaces.includes(namespace)) {
    return `spec.admin is only allowed in the namespaces of admin_namespaces, not in ${JSON.stringify(namespace)}`;
  }
  return undefined;
}

/** The string fields of a SpiffeID selector (spiffeid.ts); `podLabel` and `arbitrary` are checked apart. */
const SELECTOR_TEXT_FIELDS = [
  "podName",
  "podUid",
  "namespace",
  "serviceAccount",
  "containerImage",
  "containerName",
  "nodeName",
  "cluster",
  "agent_node_uid",
] as const;

/**
 * Why `selector` is not a SpiffeID selector of plain strings without control characters, or
 * undefined. A field that is null or absent is empty, as Go decoded it; fields the CRD does not have
 * are not read, so they are not checked.
 */
export function selectorShapeError(selector: Readonly<Record<string, unknown>>): string | undefined {
  for (const field of SELECTOR_TEXT_FIELDS) {
    const value = selector[field];
    if (value === undefined || value === null) continue;
    const error = textError(`spec.selector.${field}`, value);
    if (error !== undefined) return error;
  }
  return listError(selector.arbitrary) ?? labelsError(selector.podLabel);
}

function listError(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const where = "spec.selector.arbitrary";
  if (!Array.isArray(value) || !value.every((item) => typeof item === "string")) {
    return `${where} must be a list of strings`;
  }
  for (const item of value) {
    const error = textError(where, item);
    if (error !== undefined) return error;
  }
  return undefined;
}

function labelsError(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const where = "spec.selector.podLabel";
  if (typeof value !== "object" || Array.isArray(value)) return `${where} must be a map of strings`;
  for (const [key, label] of Object.entries(value)) {
    const error = textError(`${where} key`, key) ?? textError(`${where}.${key}`, label);
    if (error !== undefined) return error;
  }
  return undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** Why `value` is not a string free of control characters, or undefined. */
export function textError(where: string, value: unknown): string | undefined {
  if (typeof value !== "string") return `${where} must be a string`;
  if (CONTROL_CHARACTER.test(value))
    return `${where} must not contain control characters (such as a line break)`;
  return undefined;
}

function isReservedForRegistrar(segments: readonly string[], rules: TenantRules): boolean {
  const nodeRoot = (prefix: string) =>
    segments.length >= 3 && segments[0] === prefix && segments[1] === rules.cluster && segments[2] === "node";
  return nodeRoot(WEBHOOK_ID_PREFIX) || nodeRoot(rules.controllerName);
}
