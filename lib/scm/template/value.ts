/**
 * Go values as the template engine sees them: a static Go type plus the JSON-shaped payload Kubernetes
 * objects arrive in. Absent JSON is the type's zero value (`""`, `0`, `false`, nil pointer, nil slice, nil
 * map, zero struct), so `.PodSpec.Hostname` of a pod without one is `""` and `.PodSpec.SecurityContext` is a
 * nil pointer, as after Go's JSON decoding. `INVALID` is Go's zero `reflect.Value` (what a missing map key
 * reached by field syntax yields, printed `<no value>`).
 */

export type GoType =
  | BasicType
  | StructType
  | { readonly kind: "pointer"; readonly elem: GoType }
  | { readonly kind: "slice"; readonly name: string | undefined; readonly elem: GoType }
  | { readonly kind: "map"; readonly name: string | undefined; readonly key: GoType; readonly elem: GoType }
  | { readonly kind: "interface"; readonly name: string };

export interface BasicType {
  readonly kind: "string" | "bool" | "int" | "uint" | "float" | "complex";
  /** The Go type's name, e.g. `string`, `int64`, `types.UID`, `v1.DNSPolicy`. */
  readonly name: string;
  readonly bits: number;
  /** The methods of a named basic type (e.g. `v1.ResourceName`'s `String`). */
  readonly methods?: ReadonlySet<string>;
}

/** A struct field: `json` is its key in the object ("" for an inlined embedded struct). */
export interface StructField {
  readonly name: string;
  readonly json: string;
  readonly type: () => GoType;
  readonly exported: boolean;
  readonly embedded: boolean;
}

export interface StructType {
  readonly kind: "struct";
  readonly name: string;
  readonly fields: readonly StructField[];
  /** Methods of `T` and of `*T` (Go looks both up on addressable values). */
  readonly valueMethods: ReadonlySet<string>;
  readonly pointerMethods: ReadonlySet<string>;
}

/** A Go value. `addressable` follows Go: elements of slices, fields of addressable structs, pointees. */
export interface Value {
  readonly type: GoType;
  /** string | boolean | bigint | number | {re, im} | JSON object/array | null/undefined (zero). */
  readonly raw: unknown;
  readonly addressable: boolean;
}

/** Go's invalid `reflect.Value` (no type, no value). */
export const INVALID = Symbol("invalid");
/** The "no pipeline value yet" marker of Go's executor. */
export const MISSING = Symbol("missing");

export type AnyValue = Value | typeof INVALID;

export const STRING: BasicType = { kind: "string", name: "string", bits: 0 };
export const BOOL: BasicType = { kind: "bool", name: "bool", bits: 0 };
export const INT: BasicType = { kind: "int", name: "int", bits: 64 };
export const FLOAT64: BasicType = { kind: "float", name: "float64", bits: 64 };
export const COMPLEX128: BasicType = { kind: "complex", name: "complex128", bits: 128 };

/** A value that is not addressable (a function result, a constant). */
export function value(type: GoType, raw: unknown): Value {
  return { type, raw, addressable: false };
}

export function stringValue(text: string): Value {
  return value(STRING, text);
}

export function boolValue(truth: boolean): Value {
  return value(BOOL, truth);
}

export function intValue(number: bigint): Value {
  return value(INT, number);
}

/** Go's `Type.String()`: `*v1.ObjectMeta`, `[]v1.Container`, `map[string]string`, `types.UID`. */
export function typeString(type: GoType): string {
  switch (type.kind) {
    case "pointer":
      return `*${typeString(type.elem)}`;
    case "slice":
      return type.name ?? `[]${typeString(type.elem)}`;
    case "map":
      return type.name ?? `map[${typeString(type.key)}]${typeString(type.elem)}`;
    default:
      return type.name;
  }
}

/** Whether a value of this kind can be nil. */
export function isNillableKind(type: GoType): boolean {
  return type.kind === "pointer" || type.kind === "slice" || type.kind === "map" || type.kind === "interface";
}

/** Whether the payload stands for Go's nil (of a pointer, slice, map or interface type). */
export function isNilRaw(raw: unknown): boolean {
  return raw === undefined || raw === null;
}

/** The zero value of a type. */
export function zeroValue(type: GoType): Value {
  return value(type, zeroRaw(type));
}

function zeroRaw(type: GoType): unknown {
  switch (type.kind) {
    case "string":
      return "";
    case "bool":
      return false;
    case "int":
    case "uint":
      return 0n;
    case "float":
      return 0;
    case "complex":
      return { re: 0, im: 0 };
    default:
      return undefined;
  }
}

/**
 * Reads a JSON payload as a value of `type`: numbers become bigint for integer kinds, an absent payload the
 * zero value. Structs, pointers, slices and maps keep their JSON and are read lazily.
 */
export function fromJson(type: GoType, json: unknown, addressable: boolean): Value {
  switch (type.kind) {
    case "string":
      return { type, raw: typeof json === "string" ? json : "", addressable };
    case "bool":
      return { type, raw: json === true, addressable };
    case "int":
    case "uint":
      return { type, raw: toBigInt(json), addressable };
    case "float":
      return { type, raw: typeof json === "number" ? json : 0, addressable };
    default:
      return { type, raw: json ?? undefined, addressable };
  }
}

function toBigInt(json: unknown): bigint {
  if (typeof json === "bigint") return json;
  if (typeof json === "number" && Number.isFinite(json)) return BigInt(Math.trunc(json));
  if (typeof json === "string" && /^-?[0-9]+$/.test(json)) return BigInt(json);
  return 0n;
}

/** Go's `indirect`: follows pointers (and interfaces) to the end, reporting a nil on the way. */
export function indirect(input: Value): { value: Value; isNil: boolean } {
  let current = input;
  for (;;) {
    if (current.type.kind === "pointer") {
      if (isNilRaw(current.raw)) return { value: current, isNil: true };
      current = fromJson(current.type.elem, current.raw, true);
    } else if (current.type.kind === "interface") {
      if (isNilRaw(current.raw)) return { value: current, isNil: true };
      current = current.raw as Value;
    } else {
      return { value: current, isNil: false };
    }
  }
}

/** Go's `indirectInterface`: the concrete value inside an interface value (a nil interface is INVALID). */
export function indirectInterface(input: AnyValue): AnyValue {
  if (input === INVALID || input.type.kind !== "interface") return input;
  return isNilRaw(input.raw) ? INVALID : (input.raw as Value);
}

/** The number of elements of a string (bytes), slice or map payload. */
export function lengthOf(input: Value): number | undefined {
  switch (input.type.kind) {
    case "string":
      return new TextEncoder().encode(input.raw as string).length;
    case "slice":
      return Array.isArray(input.raw) ? input.raw.length : 0;
    case "map":
      return isNilRaw(input.raw) ? 0 : Object.keys(input.raw as object).length;
    default:
      return undefined;
  }
}
