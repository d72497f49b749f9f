/**
 * Reading the fields of an SCM custom resource's `spec` from JSON the way Go's decoder fills the Go struct:
 * absent and `null` leave the zero value, a value of the wrong JSON type is a decode error (`json: cannot
 * unmarshal number into Go struct field ClusterSPIFFEIDSpec.spec.ttl of type string`). The API server's
 * schemas stop wrong types; static manifests and admission requests need the check.
 */
import { fail, ok, type Result } from "../spiffe/result.js";
import { decodeDuration } from "./duration.js";
import type { LabelSelector } from "./label-selector.js";

/** The fields of one spec object, with the Go struct name used in decode errors. */
export class SpecFields {
  private readonly fields: Readonly<Record<string, unknown>>;

  private constructor(
    fields: Readonly<Record<string, unknown>>,
    private readonly structName: string,
    private readonly path: string,
  ) {
    this.fields = fields;
  }

  /**
   * Reads `spec` (absent is an empty spec) of a resource whose Go spec type is `structName`; `path` is the
   * JSON path of a nested object (`spec.bundleEndpointProfile`), for messages.
   */
  static of(spec: unknown, parentName: string, structName: string, path = "spec"): Result<SpecFields> {
    if (spec === undefined || spec === null) return ok(new SpecFields({}, structName, path));
    if (typeof spec !== "object" || Array.isArray(spec)) {
      const kind = jsonKind(spec);
      return fail(
        `json: cannot unmarshal ${kind} into Go struct field ${parentName}.${path} of type v1alpha1.${structName}`,
      );
    }
    return ok(new SpecFields(spec as Record<string, unknown>, structName, path));
  }

  private mismatch(key: string, value: unknown, goType: string): Result<never> {
    const field = `${this.structName}.${this.path}.${key}`;
    return fail(`json: cannot unmarshal ${jsonKind(value)} into Go struct field ${field} of type ${goType}`);
  }

  /** A string field; `goType` names a named string type in messages. */
  string(key: string, goType = "string"): Result<string> {
    const value = this.fields[key];
    if (value === undefined || value === null) return ok("");
    return typeof value === "string" ? ok(value) : this.mismatch(key, value, goType);
  }

  bool(key: string): Result<boolean> {
    const value = this.fields[key];
    if (value === undefined || value === null) return ok(false);
    return typeof value === "boolean" ? ok(value) : this.mismatch(key, value, "bool");
  }

  strings(key: string): Result<string[]> {
    const value = this.fields[key];
    if (value === undefined || value === null) return ok([]);
    if (!Array.isArray(value)) return this.mismatch(key, value, "[]string");
    const bad = value.find((item) => item !== null && typeof item !== "string");
    if (bad !== undefined) return this.mismatch(key, bad, "string");
    return ok(value.map((item) => (typeof item === "string" ? item : "")));
  }

  /**
   * A `metav1.Duration` in nanoseconds; its parse errors are Go's (`time: invalid duration "x"`). As in Go,
   * `null` is parsed as an empty string (the API server drops such nulls before storing).
   */
  duration(key: string): Result<bigint> {
    const value = this.fields[key];
    if (value !== undefined && value !== null && typeof value !== "string")
      return this.mismatch(key, value, "string");
    return decodeDuration(value);
  }

  /** A `*metav1.LabelSelector`: undefined when absent or null (the structure is checked when converted). */
  selector(key: string): Result<LabelSelector | undefined> {
    const value = this.fields[key];
    if (value === undefined || value === null) return ok(undefined);
    if (typeof value !== "object" || Array.isArray(value))
      return this.mismatch(key, value, "v1.LabelSelector");
    return ok(value as LabelSelector);
  }

  /** A field's JSON as is (a nested object, read with its own SpecFields). */
  raw(key: string): unknown {
    return this.fields[key];
  }
}

function jsonKind(value: unknown): string {
  if (typeof value === "string") return "string";
  if (typeof value === "number" || typeof value === "bigint") return "number";
  if (typeof value === "boolean") return "bool";
  return Array.isArray(value) ? "array" : "object";
}

type Fields<T> = { [K in keyof T]: T[K] extends Result<infer V> ? V : never };

/** The values of decoded fields, or the first decode error (Go stops at the first one, in field order). */
export function collectFields<T extends Record<string, Result<unknown>>>(results: T): Result<Fields<T>> {
  const values: Record<string, unknown> = {};
  for (const [key, result] of Object.entries(results)) {
    if (!result.ok) return result;
    values[key] = result.value;
  }
  return ok(values as Fields<T>);
}
