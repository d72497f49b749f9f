import type { SpireServer } from "./spire.js";

/**
 * A SPIRE registration entry in a form that is the same for every server release, so the entries
 * two registrars wrote to two servers can be compared with `toEqual`: lists sorted, IDs as
 * `spiffe://` strings, no entry ID or timestamps (they differ by construction).
 */
export interface NormalEntry {
  spiffeId: string;
  parentId: string;
  /** `type:value`, sorted. */
  selectors: string[];
  /** Sorted. */
  dnsNames: string[];
  /** Trust domain names (without `spiffe://`), sorted. */
  federatesWith: string[];
  admin: boolean;
  downstream: boolean;
  /** The X509-SVID TTL in seconds; 0 means the server's default. */
  x509SvidTtl: number;
  /** Current release only (v0.11.1 has one TTL, shown as `x509SvidTtl`). */
  jwtSvidTtl?: number;
  /** Current release only. */
  hint?: string;
}

/**
 * Every entry of `server`, normalised and sorted (by SPIFFE ID, parent, selectors), read through its
 * CLI: `entry show -output json` on the current release, the text of `entry show` on v0.11.1
 * (which has no JSON output).
 */
export async function readEntries(server: SpireServer): Promise<NormalEntry[]> {
  const args = server.release === "current" ? ["entry", "show", "-output", "json"] : ["entry", "show"];
  const result = await server.cli(args);
  if (result.code !== 0) {
    throw new Error(`spire-server entry show failed (exit ${result.code}): ${result.stderr}${result.stdout}`);
  }
  const entries =
    server.release === "current" ? parseJsonEntries(result.stdout) : parseTextEntries(result.stdout);
  return entries.sort(compareEntries);
}

interface JsonId {
  trust_domain?: string;
  path?: string;
}

interface JsonEntry {
  spiffe_id?: JsonId;
  parent_id?: JsonId;
  selectors?: { type?: string; value?: string }[];
  dns_names?: string[];
  federates_with?: string[];
  admin?: boolean;
  downstream?: boolean;
  x509_svid_ttl?: number;
  jwt_svid_ttl?: number;
  hint?: string;
}

/** `spire-server entry show -output json` (protojson with the proto field names). */
export function parseJsonEntries(stdout: string): NormalEntry[] {
  const parsed = JSON.parse(stdout) as { entries?: JsonEntry[] | null };
  return (parsed.entries ?? []).map((entry) => ({
    spiffeId: idString(entry.spiffe_id),
    parentId: idString(entry.parent_id),
    selectors: (entry.selectors ?? []).map((s) => `${s.type ?? ""}:${s.value ?? ""}`).sort(),
    dnsNames: [...(entry.dns_names ?? [])].sort(),
    federatesWith: (entry.federates_with ?? []).map(trustDomainName).sort(),
    admin: entry.admin ?? false,
    downstream: entry.downstream ?? false,
    x509SvidTtl: entry.x509_svid_ttl ?? 0,
    jwtSvidTtl: entry.jwt_svid_ttl ?? 0,
    hint: entry.hint ?? "",
  }));
}

/**
 * The text `entry show` of v0.11.1 prints: `Found N entries`, then one block per entry of
 * `Label : value` lines (`Entry ID`, `SPIFFE ID`, `Parent ID`, `Revision`, `Downstream` when true,
 * `TTL` as a number or `default`, one `Selector`, `FederatesWith` or `DNS name` line per item,
 * `Admin` when true), blocks separated by a blank line.
 */
export function parseTextEntries(stdout: string): NormalEntry[] {
  const entries: NormalEntry[] = [];
  let current: NormalEntry | undefined;
  for (const line of stdout.split("\n")) {
    const match = /^([A-Za-z][A-Za-z ]*?)\s*:\s(.*)$/.exec(line);
    if (!match) continue;
    const [, label = "", value = ""] = match;
    if (label === "Entry ID") {
      current = {
        spiffeId: "",
        parentId: "",
        selectors: [],
        dnsNames: [],
        federatesWith: [],
        admin: false,
        downstream: false,
        x509SvidTtl: 0,
      };
      entries.push(current);
      continue;
    }
    if (current === undefined) continue;
    switch (label) {
      case "SPIFFE ID":
        current.spiffeId = value;
        break;
      case "Parent ID":
        current.parentId = value;
        break;
      case "Selector":
        current.selectors.push(value);
        break;
      case "DNS name":
        current.dnsNames.push(value);
        break;
      case "FederatesWith":
        current.federatesWith.push(trustDomainName(value));
        break;
      case "Admin":
        current.admin = value === "true";
        break;
      case "Downstream":
        current.downstream = value === "true";
        break;
      case "TTL":
        current.x509SvidTtl = value === "default" ? 0 : Number(value);
        break;
    }
  }
  for (const entry of entries) {
    entry.selectors.sort();
    entry.dnsNames.sort();
    entry.federatesWith.sort();
  }
  return entries;
}

function idString(id: JsonId | undefined): string {
  return `spiffe://${id?.trust_domain ?? ""}${id?.path ?? ""}`;
}

function trustDomainName(value: string): string {
  return value.replace(/^spiffe:\/\//, "");
}

function compareEntries(a: NormalEntry, b: NormalEntry): number {
  const key = (e: NormalEntry) => `${e.spiffeId}\n${e.parentId}\n${e.selectors.join(",")}`;
  const [ka, kb] = [key(a), key(b)];
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
