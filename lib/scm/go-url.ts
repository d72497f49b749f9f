/**
 * Go's `net/url.Parse` (Go 1.26), reduced to what SCM's bundle endpoint URL check reads: the scheme, the
 * host, whether there is userinfo, and the errors (`parse "<url>": missing ']' in host`, `invalid port
 * ":x" after host`, `invalid URL escape "%zz"`, `invalid character " " in host name`, ...).
 */
import { fail, ok, type Result } from "../spiffe/result.js";
import { goQuote } from "./go-text.js";

/** The parts of a parsed URL that SCM looks at. */
export interface GoUrl {
  /** Lower-cased, as Go stores it. */
  readonly scheme: string;
  readonly host: string;
  readonly hasUserinfo: boolean;
}

/** Characters Go allows unescaped in a host (and in an IPv6 zone). */
const HOST_CHARS = /^[!"$&'()*+,\-.0-9:;<=>A-Z[\]_a-z~]$/;
const USERINFO_CHARS = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]$/;

/** Parses `raw` as Go's `url.Parse` does; the error is Go's text. */
export function parseGoUrl(raw: string): Result<GoUrl> {
  const hash = raw.indexOf("#");
  const withoutFragment = hash === -1 ? raw : raw.slice(0, hash);
  const parsed = parseReference(withoutFragment);
  if (!parsed.ok) return fail(`parse ${goQuote(withoutFragment)}: ${parsed.error}`);
  if (hash !== -1) {
    const fragment = checkEscapes(raw.slice(hash + 1), "other");
    if (!fragment.ok) return fail(`parse ${goQuote(raw)}: ${fragment.error}`);
  }
  return parsed;
}

function parseReference(raw: string): Result<GoUrl> {
  for (let index = 0; index < raw.length; index++) {
    const code = raw.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return fail("net/url: invalid control character in URL");
  }
  if (raw === "*") return ok({ scheme: "", host: "", hasUserinfo: false });
  const split = splitScheme(raw);
  if (!split.ok) return split;
  const scheme = split.value.scheme.toLowerCase();
  let rest = split.value.rest;
  const query = rest.indexOf("?");
  if (query !== -1) rest = rest.slice(0, query);
  if (!rest.startsWith("/")) {
    if (scheme !== "") return ok({ scheme, host: "", hasUserinfo: false });
    const firstSegment = rest.split("/")[0] ?? "";
    if (firstSegment.includes(":")) return fail("first path segment in URL cannot contain colon");
  }
  let host = "";
  let hasUserinfo = false;
  if ((scheme !== "" || !rest.startsWith("///")) && rest.startsWith("//")) {
    const slash = rest.indexOf("/", 2);
    const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash === -1 ? "" : rest.slice(slash);
    const parsed = parseAuthority(scheme, authority);
    if (!parsed.ok) return parsed;
    ({ host, hasUserinfo } = parsed.value);
  }
  const path = checkEscapes(rest, "other");
  if (!path.ok) return path;
  return ok({ scheme, host, hasUserinfo });
}

/** Go's `getScheme`: letters, then letters, digits, `+-.`, up to a colon. */
function splitScheme(raw: string): Result<{ scheme: string; rest: string }> {
  for (let index = 0; index < raw.length; index++) {
    const char = raw[index] ?? "";
    if (/[a-zA-Z]/.test(char)) continue;
    if (/[0-9+\-.]/.test(char)) {
      if (index === 0) return ok({ scheme: "", rest: raw });
      continue;
    }
    if (char === ":") {
      if (index === 0) return fail("missing protocol scheme");
      return ok({ scheme: raw.slice(0, index), rest: raw.slice(index + 1) });
    }
    return ok({ scheme: "", rest: raw });
  }
  return ok({ scheme: "", rest: raw });
}

function parseAuthority(scheme: string, authority: string): Result<{ host: string; hasUserinfo: boolean }> {
  const at = authority.lastIndexOf("@");
  const host = parseHost(scheme, at === -1 ? authority : authority.slice(at + 1));
  if (!host.ok) return host;
  if (at === -1) return ok({ host: host.value, hasUserinfo: false });
  const userinfo = authority.slice(0, at);
  if (![...userinfo].every((char) => USERINFO_CHARS.test(char))) return fail("net/url: invalid userinfo");
  for (const part of userinfo.split(":").slice(0, 2)) {
    const unescaped = checkEscapes(part, "other");
    if (!unescaped.ok) return unescaped;
  }
  return ok({ host: host.value, hasUserinfo: true });
}

function parseHost(scheme: string, host: string): Result<string> {
  const open = host.lastIndexOf("[");
  if (open > 0) return fail("invalid IP-literal");
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) return fail("missing ']' in host");
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${goQuote(colonPort)} after host`);
    const hostname = host.slice(1, close);
    const zone = hostname.indexOf("%25");
    const address = checkEscapes(zone === -1 ? hostname : hostname.slice(0, zone), "host");
    if (!address.ok) return address;
    if (zone !== -1) {
      const zonePart = checkEscapes(hostname.slice(zone), "zone");
      if (!zonePart.ok) return zonePart;
    }
    if (/^[0-9.]+$/.test(address.value)) return fail("invalid IP-literal");
    if (!/^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/.test(address.value)) {
      return fail(`invalid host: ParseAddr(${goQuote(address.value)}): unable to parse IP`);
    }
    return ok(host);
  }
  const colon = host.indexOf(":");
  if (colon !== -1) {
    // Go is strict about colons in http(s) hosts: everything from the first one is the port.
    const from = scheme === "http" || scheme === "https" ? colon : host.lastIndexOf(":");
    const colonPort = host.slice(from);
    if (!validOptionalPort(colonPort)) return fail(`invalid port ${goQuote(colonPort)} after host`);
  }
  return checkEscapes(host, "host");
}

function validOptionalPort(port: string): boolean {
  return port === "" || /^:[0-9]*$/.test(port);
}

/**
 * Go's `unescape` checks: every `%` starts two hex digits; in a host only non-ASCII bytes may be escaped
 * (and `%25`), and only host characters may appear unescaped.
 */
function checkEscapes(text: string, mode: "host" | "zone" | "other"): Result<string> {
  for (let index = 0; index < text.length; ) {
    const char = text[index] ?? "";
    if (char === "%") {
      const sequence = text.slice(index, index + 3);
      if (!/^%[0-9A-Fa-f]{2}$/.test(sequence)) return fail(`invalid URL escape ${goQuote(sequence)}`);
      const value = Number.parseInt(sequence.slice(1), 16);
      if (mode === "host" && value < 0x80 && sequence !== "%25")
        return fail(`invalid URL escape ${goQuote(sequence)}`);
      if (
        mode === "zone" &&
        sequence !== "%25" &&
        value !== 0x20 &&
        !HOST_CHARS.test(String.fromCharCode(value))
      ) {
        return fail(`invalid URL escape ${goQuote(sequence)}`);
      }
      index += 3;
      continue;
    }
    if (mode !== "other" && char.charCodeAt(0) < 0x80 && !HOST_CHARS.test(char)) {
      return fail(`invalid character ${goQuote(char)} in host name`);
    }
    index++;
  }
  return ok(text);
}
