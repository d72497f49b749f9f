/**
 * Go's `fmt.Sprint`, `Sprintln` and `Sprintf` over template values: operand spacing, `%!verb(type=value)`
 * for bad verbs, `%!v(MISSING)`, `%!(EXTRA ...)`, maps in sorted key order (`map[a:b]`), slices (`[x y]`),
 * structs (`{a b}`, `%+v` with names), nil as `<nil>`, and the `String()` methods of `metav1.Time`,
 * `intstr.IntOrString` and named strings. Output Go cannot make deterministic (addresses of nested
 * pointers) or that comes from methods this engine does not implement (the protobuf `String()` of
 * Kubernetes structs, `resource.Quantity`) is refused with an `UnsupportedPrint`.
 */
import { compareGoStrings } from "../go-text.js";
import { formatTime, parseTime } from "../go-time.js";
import {
  type Flags,
  formatBool,
  formatComplex,
  formatFloat,
  formatInteger,
  formatString,
  hexBytes,
  noFlags,
  pad,
} from "./fmt-scalars.js";
import { fieldsV1Bytes, intOrStringText } from "./special-types.js";
import {
  type AnyValue,
  fromJson,
  type GoType,
  INVALID,
  indirect,
  isNilRaw,
  type StructType,
  typeString,
  type Value,
} from "./value.js";

/** Printing a value this engine cannot print the way Go does. */
export class UnsupportedPrint extends Error {}

/** `fmt.Sprint`: a space between operands when neither side is a string. */
export function sprint(args: readonly AnyValue[]): string {
  let out = "";
  let previousString = false;
  args.forEach((arg, index) => {
    const isString = arg !== INVALID && arg.type.kind === "string";
    if (index > 0 && !isString && !previousString) out += " ";
    out += printArg(arg, "v", noFlags());
    previousString = isString;
  });
  return out;
}

/** `fmt.Sprintln`: operands separated by spaces, then a newline. */
export function sprintln(args: readonly AnyValue[]): string {
  return `${args.map((arg) => printArg(arg, "v", noFlags())).join(" ")}\n`;
}

/** `fmt.Sprintf`. */
export function sprintf(format: string, args: readonly AnyValue[]): string {
  let out = "";
  let argNumber = 0;
  let reordered = false;
  let index = 0;
  while (index < format.length) {
    const percent = format.indexOf("%", index);
    if (percent === -1) {
      out += format.slice(index);
      break;
    }
    out += format.slice(index, percent);
    const directive = parseDirective(format, percent + 1, argNumber, args);
    out += directive.prefix;
    index = directive.next;
    argNumber = directive.argNumber;
    reordered ||= directive.reordered;
    if (directive.verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    const { verb, flags } = directive;
    if (verb === "%") out += "%";
    else if (!directive.goodArgNumber) out += `%!${verb}(BADINDEX)`;
    else if (argNumber >= args.length) out += `%!${verb}(MISSING)`;
    else {
      if (verb === "v") {
        flags.sharpV = flags.sharp;
        flags.sharp = false;
        flags.plusV = flags.plus;
        flags.plus = false;
      }
      out += printArg(args[argNumber] ?? INVALID, verb === "w" ? "w" : verb, flags);
      argNumber++;
    }
  }
  if (!reordered && argNumber < args.length) {
    const extra = args
      .slice(argNumber)
      .map((arg) => (arg === INVALID ? "<nil>" : `${typeString(arg.type)}=${printArg(arg, "v", noFlags())}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}

interface Directive {
  readonly prefix: string;
  readonly verb: string | undefined;
  readonly flags: Flags;
  readonly next: number;
  readonly argNumber: number;
  readonly goodArgNumber: boolean;
  readonly reordered: boolean;
}

/** Parses flags, `[n]` argument indexes, width and precision (`*` takes them from arguments). */
function parseDirective(
  format: string,
  start: number,
  initialArg: number,
  args: readonly AnyValue[],
): Directive {
  const flags = noFlags();
  let index = start;
  let argNumber = initialArg;
  let prefix = "";
  let goodArgNumber = true;
  let reordered = false;
  for (; index < format.length; index++) {
    const char = format[index];
    if (char === "#") flags.sharp = true;
    else if (char === "0") flags.zero = true;
    else if (char === "+") flags.plus = true;
    else if (char === "-") flags.minus = true;
    else if (char === " ") flags.space = true;
    else break;
  }
  const argIndex = (): boolean => {
    const match = /^\[(\d*)\]/.exec(format.slice(index));
    if (match === null) return false;
    reordered = true;
    const wanted = match[1] === "" ? Number.NaN : Number(match[1]);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > args.length) goodArgNumber = false;
    else argNumber = wanted - 1;
    index += match[0].length;
    return true;
  };
  let afterIndex = argIndex();
  if (format[index] === "*") {
    index++;
    const width = intArg(args, argNumber);
    argNumber = width.next;
    if (width.value === undefined) prefix += "%!(BADWIDTH)";
    else if (width.value < 0) {
      flags.width = -width.value;
      flags.minus = true;
      flags.zero = false;
    } else flags.width = width.value;
    afterIndex = false;
  } else {
    const width = parseNumber(format, index);
    index = width.next;
    if (width.value !== undefined) {
      flags.width = width.value;
      if (afterIndex) goodArgNumber = false;
    }
  }
  if (index + 1 < format.length && format[index] === ".") {
    index++;
    if (afterIndex) goodArgNumber = false;
    afterIndex = argIndex();
    if (format[index] === "*") {
      index++;
      const precision = intArg(args, argNumber);
      argNumber = precision.next;
      if (precision.value === undefined || precision.value < 0) {
        if (precision.value === undefined) prefix += "%!(BADPREC)";
      } else flags.precision = precision.value;
      afterIndex = false;
    } else {
      const precision = parseNumber(format, index);
      flags.precision = precision.value ?? 0;
      index = precision.next;
    }
  }
  if (!afterIndex) argIndex();
  const codePoint = format.codePointAt(index);
  if (codePoint === undefined)
    return { prefix, verb: undefined, flags, next: index, argNumber, goodArgNumber, reordered };
  const verb = String.fromCodePoint(codePoint);
  return { prefix, verb, flags, next: index + verb.length, argNumber, goodArgNumber, reordered };
}

/**
 * Go's `parsenum`: the digits at `start`. A number growing past 1e6 is dropped together with the rest of the
 * format (Go then reports `%!(NOVERB)`).
 */
function parseNumber(format: string, start: number): { value: number | undefined; next: number } {
  let value = 0;
  let index = start;
  for (; index < format.length && format[index] !== undefined && /[0-9]/.test(format[index] ?? ""); index++) {
    if (value > 1e6) return { value: undefined, next: format.length };
    value = value * 10 + Number(format[index]);
  }
  return { value: index > start ? value : undefined, next: index };
}

/** An integer argument for `*` width or precision. */
function intArg(args: readonly AnyValue[], argNumber: number): { value: number | undefined; next: number } {
  const arg = args[argNumber];
  if (arg === undefined) return { value: undefined, next: argNumber };
  const ok = arg !== INVALID && (arg.type.kind === "int" || arg.type.kind === "uint");
  const value = ok ? Number(arg.raw as bigint) : undefined;
  return { value: value !== undefined && Math.abs(value) <= 1e6 ? value : undefined, next: argNumber + 1 };
}

/** `fmt`'s printArg: nil, %T, then by kind, `String()` methods first. */
export function printArg(arg: AnyValue, verb: string, flags: Flags): string {
  if (arg === INVALID) return verb === "T" || verb === "v" ? pad("<nil>", flags) : `%!${verb}(<nil>)`;
  if (verb === "T") return pad(typeString(arg.type), { ...flags, precision: undefined });
  if (verb === "p") throw new UnsupportedPrint("printing a pointer address (%p) is not supported");
  const method = stringMethod(arg, 0, flags, verb);
  if (method !== undefined) return method;
  return printValue(arg, verb, flags, 0);
}

/** The text of a `String()` method Go would call for this value, if any. */
function stringMethod(input: Value, depth: number, flags: Flags, verb: string): string | undefined {
  if (flags.sharpV || !"vsxXq".includes(verb)) return undefined;
  const text = stringerText(input, depth);
  return text === undefined ? undefined : (formatString(text, verb, flags) ?? undefined);
}

/**
 * What a `String()` method of the value's method set returns. Pointers see the methods of `*T`; at depth 0
 * Go also takes the address of an addressable struct (template printing), so `*T` methods apply there.
 */
export function stringerText(input: Value, depth: number): string | undefined {
  const type = input.type;
  if (type.kind === "pointer") {
    if (type.elem.kind !== "struct") return undefined;
    if (isNilRaw(input.raw)) return nilPointerString(type.elem);
    return structString(fromJson(type.elem, input.raw, true), true);
  }
  if (type.kind === "struct") return structString(input, depth === 0 && input.addressable);
  if ((type.kind === "string" || type.kind === "int") && type.methods?.has("String"))
    return String(input.raw);
  return undefined;
}

/**
 * What `String()` gives on a nil `*T`: the protobuf-generated methods of Kubernetes structs return `nil`;
 * IntOrString and Quantity return `<nil>`, and Go prints `<nil>` when a value method panics on nil.
 */
function nilPointerString(type: StructType): string | undefined {
  if (!type.pointerMethods.has("String") || type.valueMethods.has("String")) return undefined;
  return type.name === "intstr.IntOrString" || type.name === "resource.Quantity" ? "<nil>" : "nil";
}

function structString(input: Value, viaPointer: boolean): string | undefined {
  const type = input.type as StructType;
  const methods = viaPointer ? type.pointerMethods : type.valueMethods;
  if (!methods.has("String")) return undefined;
  switch (type.name) {
    case "v1.Time":
    case "time.Time":
      return formatTime(parseTime(input.raw));
    case "intstr.IntOrString":
      return intOrStringText(input.raw);
    case "v1.FieldsV1":
      return new TextDecoder().decode(new Uint8Array(fieldsV1Bytes(input.raw)));
    default:
      throw new UnsupportedPrint(`printing a ${type.name} (Go calls its String method) is not supported`);
  }
}

/** `fmt`'s printValue: by kind, recursing into maps, slices and structs. */
function printValue(input: AnyValue, verb: string, flags: Flags, depth: number): string {
  if (input === INVALID) {
    if (depth === 0) return "<invalid reflect.Value>";
    return verb === "v" ? "<nil>" : `%!${verb}(<nil>)`;
  }
  if (depth > 0) {
    const method = stringMethod(input, depth, flags, verb);
    if (method !== undefined) return method;
  }
  const type = input.type;
  switch (type.kind) {
    case "bool":
      return formatBool(input.raw as boolean, verb, flags) ?? badVerb(verb, input);
    case "int":
      return formatInteger(input.raw as bigint, true, verb, flags) ?? badVerb(verb, input);
    case "uint":
      return formatInteger(input.raw as bigint, false, verb, flags) ?? badVerb(verb, input);
    case "float":
      return formatFloat(input.raw as number, verb, flags) ?? badVerb(verb, input);
    case "complex": {
      const { re, im } = input.raw as { re: number; im: number };
      return formatComplex(re, im, verb, flags) ?? badVerb(verb, input);
    }
    case "string":
      return formatString(input.raw as string, verb, flags) ?? badVerb(verb, input);
    case "map":
      return printMap(input, type, verb, flags, depth);
    case "slice":
      return printSlice(input, type, verb, flags, depth);
    case "struct":
      return printStruct(input, type, verb, flags, depth);
    case "interface":
      return isNilRaw(input.raw)
        ? flags.sharpV
          ? `${typeString(type)}(nil)`
          : "<nil>"
        : printValue(input.raw as Value, verb, flags, depth + 1);
    case "pointer":
      return printPointer(input, type.elem, verb, flags, depth);
  }
}

function printMap(
  input: Value,
  type: Extract<GoType, { kind: "map" }>,
  verb: string,
  flags: Flags,
  depth: number,
): string {
  if (flags.sharpV && isNilRaw(input.raw)) return `${typeString(type)}(nil)`;
  const keys = Object.keys((input.raw as Record<string, unknown>) ?? {}).sort(compareGoStrings);
  const entries = keys.map((key) => {
    const keyText = printValue(fromJson(type.key, key, false), verb, flags, depth + 1);
    const element = fromJson(type.elem, (input.raw as Record<string, unknown>)[key], false);
    return `${keyText}:${printValue(element, verb, flags, depth + 1)}`;
  });
  return flags.sharpV ? `${typeString(type)}{${entries.join(", ")}}` : `map[${entries.join(" ")}]`;
}

function printSlice(
  input: Value,
  type: Extract<GoType, { kind: "slice" }>,
  verb: string,
  flags: Flags,
  depth: number,
): string {
  const items = Array.isArray(input.raw) ? input.raw : [];
  if (type.elem.kind === "uint" && type.elem.bits === 8 && "sqxX".includes(verb)) {
    const bytes = items.map((item) => Number(item));
    if (verb === "s") return pad(new TextDecoder().decode(new Uint8Array(bytes)), flags);
    if (verb === "q") return formatString(new TextDecoder().decode(new Uint8Array(bytes)), "q", flags) ?? "";
    return hexBytes(bytes, verb, flags);
  }
  if (flags.sharpV) {
    if (isNilRaw(input.raw)) return `${typeString(type)}(nil)`;
    const elements = items.map((item) => printValue(fromJson(type.elem, item, true), verb, flags, depth + 1));
    return `${typeString(type)}{${elements.join(", ")}}`;
  }
  return `[${items.map((item) => printValue(fromJson(type.elem, item, true), verb, flags, depth + 1)).join(" ")}]`;
}

function printStruct(input: Value, type: StructType, verb: string, flags: Flags, depth: number): string {
  if (SPECIAL_STRUCTS.has(type.name)) {
    throw new UnsupportedPrint(`printing the fields of a ${type.name} is not supported`);
  }
  const fields = type.fields.map((field) => {
    const json =
      field.json === "" ? input.raw : (input.raw as Record<string, unknown> | undefined)?.[field.json];
    const text = printValue(fromJson(field.type(), json, input.addressable), verb, flags, depth + 1);
    return flags.plusV || flags.sharpV ? `${field.name}:${text}` : text;
  });
  return flags.sharpV ? `${type.name}{${fields.join(", ")}}` : `{${fields.join(" ")}}`;
}

const SPECIAL_STRUCTS: ReadonlySet<string> = new Set([
  "v1.Time",
  "time.Time",
  "resource.Quantity",
  "intstr.IntOrString",
  "v1.FieldsV1",
]);

function printPointer(input: Value, elem: GoType, verb: string, flags: Flags, depth: number): string {
  if (isNilRaw(input.raw)) {
    if (flags.sharpV) return `(${typeString(input.type)})(nil)`;
    return verb === "v" ? pad("<nil>", flags) : badVerb(verb, input);
  }
  if (depth === 0 && (elem.kind === "struct" || elem.kind === "slice" || elem.kind === "map")) {
    const target = indirect(input).value;
    return `&${printValue(target, verb, flags, depth + 1)}`;
  }
  throw new UnsupportedPrint(
    `printing a non-nil ${typeString(input.type)} (Go prints its memory address) is not supported`,
  );
}

/** `%!verb(type=value)`. */
function badVerb(verb: string, input: Value): string {
  return `%!${verb}(${typeString(input.type)}=${printValue(input, "v", noFlags(), 0)})`;
}
