/**
 * Kubernetes `metav1.LabelSelector` (matchLabels, matchExpressions with In, NotIn, Exists, DoesNotExist):
 * conversion with apimachinery v0.36's checks and messages (`LabelSelectorAsSelector`, `NewRequirement`), and
 * matching. SCM treats an absent selector as "everything" (it lists without one), and so does `{}`.
 */
import { fail, ok, type Result } from "../spiffe/result.js";
import { goJsonString, goQuote, utf8Length } from "./go-text.js";

/** A label selector as it appears in JSON. */
export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>> | null;
  readonly matchExpressions?: readonly LabelSelectorRequirement[] | null;
}

/** One `matchExpressions` item. */
export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: string;
  readonly values?: readonly string[] | null;
}

type Operator = "=" | "in" | "notin" | "exists" | "!";

/** One validated requirement. */
interface Requirement {
  readonly key: string;
  readonly operator: Operator;
  readonly values: readonly string[];
}

/** A validated selector; `matches` tells whether a label set is selected. */
export interface Selector {
  readonly everything: boolean;
  matches(labels: Readonly<Record<string, string>> | undefined | null): boolean;
}

const OPERATORS: Readonly<Record<string, Operator>> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!",
};

const EVERYTHING: Selector = { everything: true, matches: () => true };

/**
 * Validates and converts a selector. Absent (`undefined`/`null`) and empty selectors select everything. The
 * error is apimachinery's text, e.g. `"Foo" is not a valid label selector operator` or `key: Invalid value:
 * "a b": name part must consist of ...`. Go walks `matchLabels` in map order, so when several are invalid it
 * reports a random one; this reports the first by sorted key.
 */
export function parseLabelSelector(selector: LabelSelector | undefined | null): Result<Selector> {
  if (selector === undefined || selector === null) return ok(EVERYTHING);
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const expressions = selector.matchExpressions ?? [];
  if (labels.length + expressions.length === 0) return ok(EVERYTHING);
  const requirements: Requirement[] = [];
  for (const [key, value] of labels) {
    const requirement = newRequirement(key, "=", [value]);
    if (!requirement.ok) return requirement;
    requirements.push(requirement.value);
  }
  for (const expression of expressions) {
    const operator = OPERATORS[expression.operator];
    if (operator === undefined) {
      return fail(`${goQuote(expression.operator)} is not a valid label selector operator`);
    }
    const requirement = newRequirement(expression.key, operator, expression.values ?? null);
    if (!requirement.ok) return requirement;
    requirements.push(requirement.value);
  }
  return ok({
    everything: false,
    matches: (labels) => requirements.every((r) => requirementMatches(r, labels)),
  });
}

/** apimachinery's `NewRequirement` checks; several problems are joined as an aggregate (`[a, b]`). */
function newRequirement(
  key: string,
  operator: Operator,
  values: readonly string[] | null,
): Result<Requirement> {
  const errors: string[] = [];
  const keyErrors = labelKeyErrors(key);
  if (keyErrors.length > 0) errors.push(`key: Invalid value: ${goQuote(key)}: ${keyErrors.join("; ")}`);
  const list = values ?? [];
  if ((operator === "in" || operator === "notin") && list.length === 0) {
    errors.push(
      `values: Invalid value: ${jsonList(list)}: for 'in', 'notin' operators, values set can't be empty`,
    );
  }
  if ((operator === "exists" || operator === "!") && list.length !== 0) {
    errors.push(
      `values: Invalid value: ${jsonList(list)}: values set must be empty for exists and does not exist`,
    );
  }
  list.forEach((value, index) => {
    const valueErrors = labelValueErrors(value);
    if (valueErrors.length > 0) {
      errors.push(`values[${index}][${key}]: Invalid value: ${goQuote(value)}: ${valueErrors.join("; ")}`);
    }
  });
  if (errors.length > 0) return fail(aggregate(errors));
  return ok({ key, operator, values: list });
}

function requirementMatches(
  requirement: Requirement,
  labels: Readonly<Record<string, string>> | undefined | null,
): boolean {
  const has = labels !== undefined && labels !== null && Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case "=":
    case "in":
      return has && requirement.values.includes(value ?? "");
    case "notin":
      return !has || !requirement.values.includes(value ?? "");
    case "exists":
      return has;
    case "!":
      return !has;
  }
}

const LABEL_KEY_FORMAT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_NAME = new RegExp(`^${LABEL_KEY_FORMAT}$`);
const LABEL_VALUE_FORMAT = `(${LABEL_KEY_FORMAT})?`;
const LABEL_VALUE = new RegExp(`^${LABEL_VALUE_FORMAT}$`);
const DNS1123_LABEL_FORMAT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_FORMAT = `${DNS1123_LABEL_FORMAT}(\\.${DNS1123_LABEL_FORMAT})*`;
const DNS1123_SUBDOMAIN = new RegExp(`^${DNS1123_SUBDOMAIN_FORMAT}$`);
const LABEL_KEY_MESSAGE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MESSAGE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const SUBDOMAIN_MESSAGE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";

/** The reasons `key` is not a label key (apimachinery `IsLabelKey`), or none. Lengths are in bytes. */
export function labelKeyErrors(key: string): string[] {
  const errors: string[] = [];
  const parts = key.split("/");
  if (parts.length > 2) {
    return [
      `a valid label key ${regexError(LABEL_KEY_MESSAGE, LABEL_KEY_FORMAT, ["MyName", "my.name", "123-abc"])} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  const name = parts.length === 2 ? (parts[1] ?? "") : key;
  if (parts.length === 2) {
    const prefix = parts[0] ?? "";
    if (prefix === "") errors.push("prefix part must be non-empty");
    else errors.push(...subdomainErrors(prefix).map((error) => `prefix part ${error}`));
  }
  if (name === "") errors.push("name part must be non-empty");
  else if (utf8Length(name) > 63) errors.push("name part must be no more than 63 bytes");
  if (!LABEL_NAME.test(name)) {
    errors.push(
      `name part ${regexError(LABEL_KEY_MESSAGE, LABEL_KEY_FORMAT, ["MyName", "my.name", "123-abc"])}`,
    );
  }
  return errors;
}

/** The reasons `value` is not a label value (apimachinery `IsLabelValue`), or none. */
export function labelValueErrors(value: string): string[] {
  const errors: string[] = [];
  if (utf8Length(value) > 63) errors.push("must be no more than 63 bytes");
  if (!LABEL_VALUE.test(value)) {
    errors.push(regexError(LABEL_VALUE_MESSAGE, LABEL_VALUE_FORMAT, ["MyValue", "my_value", "12345"]));
  }
  return errors;
}

function subdomainErrors(value: string): string[] {
  const errors: string[] = [];
  if (utf8Length(value) > 253) errors.push("must be no more than 253 bytes");
  if (!DNS1123_SUBDOMAIN.test(value)) {
    errors.push(regexError(SUBDOMAIN_MESSAGE, DNS1123_SUBDOMAIN_FORMAT, ["example.com"]));
  }
  return errors;
}

function regexError(message: string, format: string, examples: readonly string[]): string {
  const shown = examples.map((example) => `'${example}', `).join(" or ");
  return `${message} (e.g. ${shown}regex used for validation is '${format}')`;
}

/** apimachinery's aggregate error text: one message alone, several (de-duplicated) in brackets. */
function aggregate(errors: readonly string[]): string {
  const unique = [...new Set(errors)];
  return unique.length === 1 ? (unique[0] ?? "") : `[${unique.join(", ")}]`;
}

/** The values as apimachinery prints them: Go's JSON, `null` when empty (Go copies them into a nil slice). */
function jsonList(values: readonly string[]): string {
  return values.length === 0 ? "null" : `[${values.map(goJsonString).join(",")}]`;
}
