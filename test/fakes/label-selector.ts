/**
 * Kubernetes label selectors (`?labelSelector=` of list and watch) as the API server reads them, for the
 * fakes: requirements separated by commas, all of which must hold; `k=v` and `k==v` (the label is there
 * with that value), `k!=v` (it is not, or the label is absent), `k in (a,b)`, `k notin (a,b)` (absent
 * also matches), `k` (present) and `!k` (absent). Keys are qualified names (`prefix/name`), values label
 * values; anything else is the API server's 400 `unable to parse requirement`.
 */

export type Labels = Readonly<Record<string, string>>;

export type SelectorResult =
  | { readonly ok: true; readonly matches: (labels: Labels | undefined) => boolean }
  | { readonly ok: false; readonly error: string };

const NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
const KEY = new RegExp(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${NAME}$`);
const VALUE = new RegExp(`^(${NAME})?$`);
const SET = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/;
const COMPARE = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/;

type Requirement = (labels: Labels) => boolean;

export function parseLabelSelector(text: string): SelectorResult {
  const requirements: Requirement[] = [];
  for (const part of splitRequirements(text)) {
    const requirement = parseRequirement(part);
    if (typeof requirement === "string")
      return { ok: false, error: `unable to parse requirement: ${requirement}` };
    requirements.push(requirement);
  }
  return { ok: true, matches: (labels) => requirements.every((holds) => holds(labels ?? {})) };
}

/** Commas inside `( )` separate values, not requirements. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return text.trim() === "" ? [] : parts.map((part) => part.trim());
}

function parseRequirement(text: string): Requirement | string {
  const set = SET.exec(text);
  if (set) {
    const [, key = "", operator, list = ""] = set;
    const values = list.split(",").map((value) => value.trim());
    const invalid = [key].find((k) => !KEY.test(k)) ?? values.find((v) => !VALUE.test(v));
    if (invalid !== undefined)
      return `invalid key or value ${JSON.stringify(invalid)} in ${JSON.stringify(text)}`;
    const listed = (labels: Labels) => {
      const value = labels[key];
      return value !== undefined && values.includes(value);
    };
    return operator === "in" ? listed : (labels) => !listed(labels);
  }
  const compare = COMPARE.exec(text);
  if (compare) {
    const [, key = "", operator, value = ""] = compare;
    if (!KEY.test(key) || !VALUE.test(value)) return `invalid key or value in ${JSON.stringify(text)}`;
    return operator === "!=" ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const absent = text.startsWith("!");
  const key = absent ? text.slice(1).trim() : text;
  if (!KEY.test(key)) return `${JSON.stringify(text)} is not a label requirement`;
  return absent ? (labels) => labels[key] === undefined : (labels) => labels[key] !== undefined;
}
