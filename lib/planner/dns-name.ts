/**
 * The DNS-name check the SPIRE server applies to `dns_names` on create and update (`x509util.ValidateLabel`
 * in spire v1.15.3 with golang.org/x/net v0.57.0 idna), restated for the names the registrar produces.
 * Checked against that code: single-character labels and `_` are accepted (the older regex
 * `^[a-zA-Z0-9]([-]*[a-zA-Z0-9])+$` that the v1.5.6-era server used is gone); labels must be 1-63 characters,
 * must not start or end with `-`, and must not have `--` in positions 3-4 (IDNA "V2", which also covers
 * `xn--` punycode labels that we do not try to decode); the whole name is at most 253 characters.
 */

const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;
// Printable ASCII and tab: idna.ToASCII passes ASCII through untouched, so the server rejects only on
// structure, but we refuse control characters, which no Kubernetes-derived name contains.
const ASCII = /^[\t\x20-\x7e]*$/;

/** Why SPIRE would reject `name` as an entry DNS name, or undefined when it would accept it. */
export function dnsNameError(name: string): string | undefined {
  if (!ASCII.test(name)) return "name must be ascii";
  const star = name.indexOf("*");
  let host = name;
  if (star !== -1) {
    if (name.indexOf("*", star + 1) !== -1) return "too many wildcards";
    if (star !== 0 || name[1] !== ".") return "wildcard must be first label";
    host = name.slice(2);
  }
  host = host.trim();
  if (host === "") return "empty or only whitespace";
  if (host.endsWith(".")) return "domain ends with dot";
  if (host.length > MAX_NAME_LENGTH) return "name is longer than 253 characters";
  // Scanned in place rather than split: this runs for every DNS name of every pod on each derivation.
  let start = 0;
  while (start <= host.length) {
    const dot = host.indexOf(".", start);
    const end = dot === -1 ? host.length : dot;
    const error = labelError(host, start, end);
    if (error !== undefined) return error;
    start = end + 1;
  }
  return undefined;
}

const HYPHEN = 45;

function labelError(host: string, start: number, end: number): string | undefined {
  const length = end - start;
  if (length === 0) return "label is empty";
  if (length > MAX_LABEL_LENGTH) return `label is longer than 63 characters: ${host.slice(start, end)}`;
  if (host.charCodeAt(start) === HYPHEN || host.charCodeAt(end - 1) === HYPHEN) {
    return `label starts or ends with a hyphen: ${host.slice(start, end)}`;
  }
  if (length > 4 && host.charCodeAt(start + 2) === HYPHEN && host.charCodeAt(start + 3) === HYPHEN) {
    return `label has hyphens in the third and fourth positions: ${host.slice(start, end)}`;
  }
  return undefined;
}
