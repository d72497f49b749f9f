/**
 * The Kubernetes types whose JSON form is not their Go struct: `metav1.Time` (an RFC 3339 string, decoded to
 * local time; SCM's image runs in UTC), `intstr.IntOrString` (a number or a string), `resource.Quantity` (a
 * string) and `metav1.FieldsV1` (raw JSON). Templates see their Go fields and a few of their methods.
 */
import { resolveType } from "./types.js";
import { fromJson, type Value } from "./value.js";

/** The Go fields of an `intstr.IntOrString` payload (`Type` 0 for an int, 1 for a string). */
export function intOrStringField(raw: unknown, field: string): Value | undefined {
  const isString = typeof raw === "string";
  switch (field) {
    case "Type":
      return fromJson(resolveType("intstr.Type"), isString ? 1 : 0, false);
    case "IntVal":
      return fromJson(resolveType("int32"), isString ? 0 : raw, false);
    case "StrVal":
      return fromJson(resolveType("string"), isString ? raw : "", false);
    default:
      return undefined;
  }
}

/** `intstr.IntOrString.String()`: the number in decimal, or the string. */
export function intOrStringText(raw: unknown): string {
  if (typeof raw === "string") return raw;
  return typeof raw === "number" ? String(Math.trunc(raw)) : "0";
}

/** The `Format` of a `resource.Quantity` written `text` (BinarySI for Ki..Ei, DecimalExponent for e/E). */
export function quantityFormat(raw: unknown): string {
  if (typeof raw !== "string" || raw === "") return "";
  if (/[KMGTPE]i$/.test(raw.trim())) return "BinarySI";
  if (/[eE][+-]?[0-9]+$/.test(raw.trim())) return "DecimalExponent";
  return "DecimalSI";
}

/** The bytes of a `metav1.FieldsV1` payload (its JSON, as the API server sends it). */
export function fieldsV1Bytes(raw: unknown): number[] {
  return raw === undefined || raw === null ? [] : [...new TextEncoder().encode(JSON.stringify(raw))];
}
