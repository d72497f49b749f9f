/**
 * The SPIRE server's validation rules for entries, as the fake entry service applies them
 * (SPIRE pkg/server/api: ProtoToRegistrationEntry, id.go, selector.go, x509util.ValidateLabel).
 * Each function returns the reason an input is invalid, or undefined when SPIRE accepts it.
 */
import { domainToUnicode } from "node:url";
import { trustDomainError } from "../../lib/spiffe/trust-domain.js";
import type { Entry as EntryMessage } from "../../proto/gen/spire/api/types/entry_pb.js";
import type { SPIFFEID } from "../../proto/gen/spire/api/types/spiffeid_pb.js";

const PATH_SEGMENT_CHARS = /^[A-Za-z0-9._-]+$/;

/** go-spiffe's ID parsing from {trust_domain, path}. */
export function spiffeIdError(id: SPIFFEID | undefined): string | undefined {
  if (!id) return "request must specify SPIFFE ID";
  const td = trustDomainError(id.trustDomain);
  if (td) return td;
  if (id.path === "") return undefined;
  if (!id.path.startsWith("/")) return "path must have a leading slash";
  for (const segment of id.path.slice(1).split("/")) {
    if (segment === "") return "path cannot contain empty segments";
    if (segment === "." || segment === "..") return "path cannot contain dot segments";
    if (!PATH_SEGMENT_CHARS.test(segment))
      return "path segment characters are limited to letters, numbers, dots, dashes, and underscores";
  }
  return undefined;
}

function idString(id: SPIFFEID): string {
  return `spiffe://${id.trustDomain}${id.path}`;
}

/** A parent ID: any non-root ID in the server's trust domain. */
export function parentIdError(id: SPIFFEID | undefined, trustDomain: string): string | undefined {
  const parse = spiffeIdError(id);
  if (parse || !id) return parse;
  if (id.trustDomain !== trustDomain)
    return `"${idString(id)}" is not a member of trust domain "${trustDomain}"`;
  if (id.path === "")
    return `"${idString(id)}" is not a member of trust domain "${trustDomain}"; path is empty`;
  return undefined;
}

/** A workload SPIFFE ID: like a parent, but not in the reserved /spire namespace. */
export function workloadIdError(id: SPIFFEID | undefined, trustDomain: string): string | undefined {
  const parse = spiffeIdError(id);
  if (parse || !id) return parse;
  if (id.trustDomain !== trustDomain)
    return `"${idString(id)}" is not a member of trust domain "${trustDomain}"`;
  if (id.path === "")
    return `"${idString(id)}" is not a workload in trust domain "${trustDomain}"; path is empty`;
  if (id.path === "/spire" || id.path.startsWith("/spire/")) {
    return `"${idString(id)}" is not a workload in trust domain "${trustDomain}"; path is in the reserved namespace`;
  }
  return undefined;
}

/**
 * x509util.ValidateLabel as the real server applies it: ASCII, at most one leading `*.`, then Go's
 * idna ToASCII without a mapping. Observed on spire-server 1.13: labels must be 1-63 characters,
 * must not start or end with `-`, and `--` at positions 3-4 needs a valid `xn--` punycode label;
 * `_`, spaces, `/` and `:` are accepted, and surrounding whitespace is trimmed for the check only.
 */
export function dnsNameError(name: string): string | undefined {
  if ([...name].some((char) => char.charCodeAt(0) > 0x7f)) return "name must be ascii";
  const stars = name.split("*").length - 1;
  let rest = name;
  if (stars > 1) return "too many wildcards";
  if (stars === 1) {
    if (!name.startsWith("*.")) return "wildcard must be first label";
    rest = name.slice(2);
  }
  rest = rest.trim();
  if (rest === "") return "empty or only whitespace";
  if (rest.endsWith(".")) return "domain ends with dot";
  if (rest.length > 253) return "idna error";
  for (const label of rest.split(".")) {
    if (label === "" || label.length > 63 || label.startsWith("-") || label.endsWith("-"))
      return "idna error";
    if (label.slice(2, 4) === "--" && !isPunycodeLabel(label)) return "idna error";
  }
  return undefined;
}

/**
 * Whether an `xn--` label decodes. An undecodable one comes back as "" on Node 20 and unchanged on
 * Node 24 (its URL parser passes it through), so both count as invalid.
 */
function isPunycodeLabel(label: string): boolean {
  if (!label.startsWith("xn--")) return false;
  const decoded = domainToUnicode(label);
  return decoded !== "" && decoded !== label;
}

/** Why SPIRE's conversion of an entry fails (InvalidArgument "failed to convert entry: ..."). */
export function entryError(entry: EntryMessage, trustDomain: string): string | undefined {
  const parent = parentIdError(entry.parentId, trustDomain);
  if (parent) return `invalid parent ID: ${parent}`;
  const spiffeId = workloadIdError(entry.spiffeId, trustDomain);
  if (spiffeId) return `invalid spiffe ID: ${spiffeId}`;
  for (const name of entry.dnsNames) {
    const dns = dnsNameError(name);
    if (dns) return `invalid DNS name: ${dns}`;
  }
  for (const td of entry.federatesWith) {
    const federated = trustDomainError(td);
    if (federated) return `invalid federated trust domain: ${federated}`;
  }
  if (entry.selectors.length === 0) return "selector list is empty";
  for (const selector of entry.selectors) {
    if (selector.type === "") return "missing selector type";
    if (selector.type.includes(":")) return "selector type contains ':'";
    if (selector.value === "") return "missing selector value";
  }
  if (entry.hint.length > 1024) return "hint is too long, max length accepted is 1024";
  return undefined;
}

/** Datastore checks on a client-supplied entry id and TTLs ("datastore-validation: ..."). */
export function datastoreError(entry: EntryMessage): string | undefined {
  if (entry.id.length > 255) return "entry ID too long";
  if (entry.id !== "" && !/^[A-Za-z0-9._-]+$/.test(entry.id)) return "entry ID contains invalid characters";
  if (entry.x509SvidTtl < 0) return "x509SvidTtl is not allowed to be negative";
  if (entry.jwtSvidTtl < 0) return "jwtSvidTtl is not allowed to be negative";
  return undefined;
}
