/**
 * Reads the inputs of `registrar plan` from files: the cluster as `kubectl get
 * pods,nodes,endpointslices -A -o json` prints it (a v1 List; `endpoints` instead of `endpointslices`
 * with `endpoints_source = "endpoints"`), and SPIRE's entries as `spire-server entry show -output
 * json` prints them, and SPIRE's federation relationships as `spire-server federation list -output json`
 * prints them. Expected problems are results naming the file and item.
 */
import { serviceEndpointsFromSlices } from "../planner/endpoint-slices.js";
import type { Entry, Selector } from "../planner/entry.js";
import type { ClusterSnapshot, EndpointSlice, Endpoints, Node, Pod } from "../planner/k8s-objects.js";
import { type EndpointsSource, serviceEndpointsFromEndpoints } from "../planner/service-endpoints.js";
import type { CurrentRelationship } from "../scm/index.js";

export type FileResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Cluster objects by kind; unknown kinds are counted so the caller can mention them. */
export interface ClusterState extends ClusterSnapshot {
  /**
   * Other objects in the list (e.g. SpiffeIDs for crd mode, Endpoints when the Services' endpoints are
   * read from EndpointSlices), by kind.
   */
  readonly others: ReadonlyMap<string, readonly unknown[]>;
}

/** The kind of the items the Services' endpoints are read from, by `endpoints_source`. */
export const ENDPOINTS_KIND: Readonly<Record<EndpointsSource, "EndpointSlice" | "Endpoints">> = {
  endpointslices: "EndpointSlice",
  endpoints: "Endpoints",
};

/** The List's items; the Services' endpoints come from the items of `source`'s kind. */
export function parseClusterState(
  text: string,
  path: string,
  source: EndpointsSource,
): FileResult<ClusterState> {
  const parsed = parseKubeList(text, path);
  if (!parsed.ok) return parsed;
  const byKind = parsed.value;
  const take = (kind: string): unknown[] => {
    const list = byKind.get(kind) ?? [];
    byKind.delete(kind);
    return list;
  };
  const pods = take("Pod") as Pod[];
  const nodes = take("Node") as Node[];
  const endpoints =
    source === "endpointslices"
      ? serviceEndpointsFromSlices(take("EndpointSlice") as EndpointSlice[])
      : (take("Endpoints") as Endpoints[]).map(serviceEndpointsFromEndpoints);
  return { ok: true, value: { pods, nodes, endpoints, others: byKind } };
}

/**
 * The items of `kubectl get ... -o json` (a v1 List, or a plain array of objects) by `kind`, in file order;
 * an item without a kind is an error naming its index.
 */
export function parseKubeList(text: string, path: string): FileResult<Map<string, unknown[]>> {
  const json = parseJson(text, path);
  if (!json.ok) return json;
  const items = listItems(json.value);
  if (!items)
    return {
      ok: false,
      error: `${path}: expected a Kubernetes List ({"kind":"List","items":[...]}) or an object list`,
    };
  const byKind = new Map<string, unknown[]>();
  for (const [index, item] of items.entries()) {
    if (!isRecord(item) || typeof item.kind !== "string") {
      return { ok: false, error: `${path}: items[${index}] has no "kind"` };
    }
    const list = byKind.get(item.kind);
    if (list === undefined) byKind.set(item.kind, [item]);
    else list.push(item);
  }
  return { ok: true, value: byKind };
}

/** `spire-server entry show -output json`: `{"entries":[...]}` with protojson field names. */
export function parseEntries(text: string, path: string): FileResult<Entry[]> {
  const json = parseJson(text, path);
  if (!json.ok) return json;
  const list = isRecord(json.value) ? json.value.entries : undefined;
  if (list === undefined || list === null) return { ok: true, value: [] };
  if (!Array.isArray(list)) return { ok: false, error: `${path}: "entries" must be a list` };
  const entries: Entry[] = [];
  for (const [index, raw] of list.entries()) {
    const entry = toEntry(raw);
    if (typeof entry === "string") return { ok: false, error: `${path}: entries[${index}]: ${entry}` };
    entries.push(entry);
  }
  return { ok: true, value: entries };
}

/**
 * `spire-server federation list -output json`: `{"federation_relationships":[...]}`, each the TrustDomain API's
 * FederationRelationship in protojson (`trust_domain`, `bundle_endpoint_url`, and `https_web: {}` or
 * `https_spiffe: {endpoint_spiffe_id}`). The bundle is not read: no plan compares it.
 */
export function parseFederationRelationships(text: string, path: string): FileResult<CurrentRelationship[]> {
  const json = parseJson(text, path);
  if (!json.ok) return json;
  const list = isRecord(json.value)
    ? field(json.value, "federation_relationships", "federationRelationships")
    : undefined;
  if (list === undefined || list === null) return { ok: true, value: [] };
  if (!Array.isArray(list)) return { ok: false, error: `${path}: "federation_relationships" must be a list` };
  const relationships: CurrentRelationship[] = [];
  for (const [index, raw] of list.entries()) {
    const relationship = toRelationship(raw);
    if (typeof relationship === "string")
      return { ok: false, error: `${path}: federation_relationships[${index}]: ${relationship}` };
    relationships.push(relationship);
  }
  return { ok: true, value: relationships };
}

function toRelationship(raw: unknown): CurrentRelationship | string {
  if (!isRecord(raw)) return "not an object";
  const trustDomain = field(raw, "trust_domain", "trustDomain");
  if (typeof trustDomain !== "string" || trustDomain === "") return "missing trust_domain";
  const url = field(raw, "bundle_endpoint_url", "bundleEndpointUrl");
  if (typeof url !== "string") return "missing bundle_endpoint_url";
  const spiffe = field(raw, "https_spiffe", "httpsSpiffe");
  if (isRecord(spiffe)) {
    const id = field(spiffe, "endpoint_spiffe_id", "endpointSpiffeId");
    if (typeof id !== "string") return "https_spiffe without endpoint_spiffe_id";
    return {
      trustDomain,
      bundleEndpointUrl: url,
      bundleEndpointProfile: { type: "https_spiffe", endpointSpiffeId: id },
    };
  }
  if (isRecord(field(raw, "https_web", "httpsWeb")))
    return { trustDomain, bundleEndpointUrl: url, bundleEndpointProfile: { type: "https_web" } };
  return "no bundle endpoint profile (https_web or https_spiffe)";
}

function toEntry(raw: unknown): Entry | string {
  if (!isRecord(raw)) return "not an object";
  const id = field(raw, "id");
  if (typeof id !== "string" || id === "") return "missing id";
  const spiffeId = toId(field(raw, "spiffe_id", "spiffeId"));
  const parentId = toId(field(raw, "parent_id", "parentId"));
  if (!spiffeId) return "missing spiffe_id";
  if (!parentId) return "missing parent_id";
  const selectors = field(raw, "selectors");
  if (!Array.isArray(selectors)) return "missing selectors";
  const parsedSelectors: Selector[] = [];
  for (const selector of selectors) {
    if (!isRecord(selector) || typeof selector.type !== "string" || typeof selector.value !== "string") {
      return "a selector is not {type, value}";
    }
    parsedSelectors.push({ type: selector.type, value: selector.value });
  }
  return {
    id,
    spiffeId,
    parentId,
    selectors: parsedSelectors,
    dnsNames: strings(field(raw, "dns_names", "dnsNames")),
    federatesWith: strings(field(raw, "federates_with", "federatesWith")),
    admin: field(raw, "admin") === true,
    downstream: field(raw, "downstream") === true,
    x509SvidTtl: Number(field(raw, "x509_svid_ttl", "x509SvidTtl") ?? 0),
    jwtSvidTtl: Number(field(raw, "jwt_svid_ttl", "jwtSvidTtl") ?? 0),
    hint: typeof field(raw, "hint") === "string" ? (field(raw, "hint") as string) : "",
    ...(field(raw, "store_svid", "storeSvid") === true ? { storeSvid: true } : {}),
  };
}

/** `{trust_domain, path}` (protojson) or an already formatted `spiffe://` string. */
function toId(value: unknown): string | undefined {
  if (typeof value === "string" && value.startsWith("spiffe://")) return value;
  if (!isRecord(value)) return undefined;
  const trustDomain = field(value, "trust_domain", "trustDomain");
  const path = value.path;
  if (typeof trustDomain !== "string" || trustDomain === "" || typeof path !== "string") return undefined;
  return `spiffe://${trustDomain}${path}`;
}

function field(record: Record<string, unknown>, ...names: string[]): unknown {
  for (const name of names) if (record[name] !== undefined) return record[name];
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function listItems(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  if (isRecord(value) && Array.isArray(value.items)) return value.items;
  return undefined;
}

function parseJson(text: string, path: string): FileResult<unknown> {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return {
      ok: false,
      error: `${path}: not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
