/**
 * Field and method lookup on Go values, as text/template's `evalField` does it: methods first (of `T`, or of
 * `*T` for addressable values and pointers), then struct fields (promoted through embedded structs), then
 * map keys. Kubernetes types whose JSON differs from their struct (Time, IntOrString, Quantity, FieldsV1)
 * expose their Go fields. Methods are implemented for the accessors a template might call
 * (`ObjectMeta.GetName` and its siblings, `Time.Unix` and friends, `IntOrString.IntValue`, `String`); any
 * other method is refused with a message naming it.
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { formatTime, isZeroTime, parseTime, timeFields } from "../go-time.js";
import { fieldsV1Bytes, intOrStringField, intOrStringText, quantityFormat } from "./special-types.js";
import { findField, resolveType } from "./types.js";
import {
  type AnyValue,
  BOOL,
  fromJson,
  INT,
  type StructField,
  type StructType,
  stringValue,
  typeString,
  type Value,
  value,
} from "./value.js";

/** A method found on a receiver: how many arguments it takes and what calling it gives. */
export interface Method {
  readonly arity: number;
  readonly call: () => Result<AnyValue>;
}

const INT64 = "int64";

/**
 * The method `name` of `receiver` (already indirected; `pointer` tells whether `*T`'s methods apply), or
 * undefined when the type has none of that name.
 */
export function findMethod(
  receiver: Value,
  name: string,
  pointer: boolean,
  isNilPointer: boolean,
): Method | undefined {
  const type = receiver.type;
  const methods =
    type.kind === "struct"
      ? pointer
        ? type.pointerMethods
        : type.valueMethods
      : type.kind === "string" || type.kind === "int"
        ? type.methods
        : undefined;
  if (methods === undefined || !methods.has(name)) return undefined;
  if (isNilPointer) {
    return { arity: 0, call: () => fail("runtime error: invalid memory address or nil pointer dereference") };
  }
  const implemented = implementedMethod(receiver, name);
  if (implemented !== undefined) return implemented;
  return {
    arity: 0,
    call: () => fail(`method ${name} of ${typeString(type)} is not supported by this template engine`),
  };
}

function implementedMethod(receiver: Value, name: string): Method | undefined {
  const type = receiver.type;
  if (type.kind !== "struct")
    return name === "String" ? zeroArity(() => stringValue(String(receiver.raw))) : undefined;
  if (type.name === "v1.ObjectMeta" && name.startsWith("Get") && name !== "GetObjectMeta") {
    const field = type.fields.find((candidate) => candidate.name === name.slice(3));
    if (field !== undefined) return zeroArity(() => fieldValue(receiver, [field], false));
  }
  if (type.name === "v1.Time" || type.name === "time.Time") return timeMethod(receiver.raw, name);
  if (type.name === "intstr.IntOrString") {
    if (name === "String") return zeroArity(() => stringValue(intOrStringText(receiver.raw)));
    if (name === "IntValue") {
      const raw = receiver.raw;
      const number =
        typeof raw === "number"
          ? BigInt(Math.trunc(raw))
          : BigInt(Number.parseInt(String(raw ?? 0), 10) || 0);
      return zeroArity(() => value(INT, number));
    }
  }
  return undefined;
}

function timeMethod(raw: unknown, name: string): Method | undefined {
  const time = parseTime(raw);
  const fields = timeFields(time);
  const int = (number: number | bigint): Value => value(INT, BigInt(number));
  const int64 = (number: bigint): Value => value(resolveType(INT64), number);
  const results: Readonly<Record<string, () => Value>> = {
    String: () => stringValue(formatTime(time)),
    Unix: () => int64(time.seconds),
    UnixMilli: () => int64(time.seconds * 1000n + BigInt(Math.floor(time.nanos / 1e6))),
    UnixMicro: () => int64(time.seconds * 1_000_000n + BigInt(Math.floor(time.nanos / 1e3))),
    UnixNano: () => int64(time.seconds * 1_000_000_000n + BigInt(time.nanos)),
    Year: () => int(fields.year),
    YearDay: () => int(fields.yearDay),
    Day: () => int(fields.day),
    Hour: () => int(fields.hour),
    Minute: () => int(fields.minute),
    Second: () => int(fields.second),
    Nanosecond: () => int(time.nanos),
    IsZero: () => value(BOOL, isZeroTime(time)),
  };
  const result = results[name];
  return result === undefined ? undefined : zeroArity(result);
}

function zeroArity(result: () => AnyValue): Method {
  return { arity: 0, call: () => ok(result()) };
}

/** The outcome of looking a field name up in a struct. */
export type FieldLookup =
  | { readonly found: false }
  | { readonly found: true; readonly exported: boolean; readonly value: () => Value };

/** A struct field by Go name (promoted fields included), with the value it holds in `receiver`. */
export function lookupField(receiver: Value, name: string): FieldLookup {
  const type = receiver.type as StructType;
  const path = findField(type, name);
  if (path === undefined) return { found: false };
  const exported = path.every((field) => field.exported);
  return { found: true, exported, value: () => fieldValue(receiver, path, receiver.addressable) };
}

/** Follows a field path from a struct value to the field's value. */
function fieldValue(receiver: Value, path: readonly StructField[], addressable: boolean): Value {
  let current = receiver;
  for (const field of path) {
    current =
      specialField(current, field) ?? fromJson(field.type(), fieldJson(current.raw, field), addressable);
  }
  return current;
}

function fieldJson(raw: unknown, field: StructField): unknown {
  if (field.json === "") return raw;
  if (raw === null || typeof raw !== "object") return undefined;
  return (raw as Record<string, unknown>)[field.json];
}

/** Fields of the types whose JSON is not their struct. */
function specialField(receiver: Value, field: StructField): Value | undefined {
  const type = receiver.type as StructType;
  switch (type.name) {
    case "intstr.IntOrString":
      return intOrStringField(receiver.raw, field.name);
    case "resource.Quantity":
      return field.name === "Format"
        ? fromJson(field.type(), quantityFormat(receiver.raw), false)
        : undefined;
    case "v1.FieldsV1":
      return field.name === "Raw" ? fromJson(field.type(), fieldsV1Bytes(receiver.raw), false) : undefined;
    default:
      return undefined;
  }
}
