/**
 * The comparison builtins `eq ne lt le gt ge` with Go's rules: basic kinds compare by value (integers across
 * signedness), `eq` with several arguments is true when any matches, an absent value (INVALID) equals
 * nothing, and Go's errors (`incompatible types for comparison`, `invalid type for comparison`, ...).
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { compareGoStrings } from "../go-text.js";
import { printArg } from "./fmt.js";
import { noFlags } from "./fmt-scalars.js";
import {
  type AnyValue,
  INVALID,
  indirectInterface,
  isNillableKind,
  isNilRaw,
  typeString,
  type Value,
} from "./value.js";

type BasicKind = "bool" | "int" | "uint" | "float" | "complex" | "string" | undefined;

const BAD_TYPE = "invalid type for comparison";

function basicKind(input: AnyValue): BasicKind {
  if (input === INVALID) return undefined;
  const kind = input.type.kind;
  return kind === "bool" ||
    kind === "int" ||
    kind === "uint" ||
    kind === "float" ||
    kind === "complex" ||
    kind === "string"
    ? kind
    : undefined;
}

/** `eq arg1 arg2...`: whether arg1 equals any of the others. */
export function equal(first: AnyValue, others: readonly AnyValue[]): Result<boolean> {
  const a = indirectInterface(first);
  if (others.length === 0) return fail("missing argument for comparison");
  const kindA = basicKind(a);
  for (const other of others) {
    const b = indirectInterface(other);
    const kindB = basicKind(b);
    let truth = false;
    if (kindA !== kindB) {
      if (kindA === "int" && kindB === "uint")
        truth = (a as Value).raw === (b as Value).raw && ((a as Value).raw as bigint) >= 0n;
      else if (kindA === "uint" && kindB === "int")
        truth = (a as Value).raw === (b as Value).raw && ((b as Value).raw as bigint) >= 0n;
      else if (a !== INVALID && b !== INVALID) {
        return fail(`incompatible types for comparison: ${typeString(a.type)} and ${typeString(b.type)}`);
      }
    } else if (kindA !== undefined) {
      truth = sameBasic(a as Value, b as Value, kindA);
    } else {
      const result = equalComposite(a, b);
      if (!result.ok) return result;
      truth = result.value;
    }
    if (truth) return ok(true);
  }
  return ok(false);
}

function sameBasic(a: Value, b: Value, kind: Exclude<BasicKind, undefined>): boolean {
  if (kind === "complex") {
    const x = a.raw as { re: number; im: number };
    const y = b.raw as { re: number; im: number };
    return x.re === y.re && x.im === y.im;
  }
  return a.raw === b.raw;
}

/** Equality of non-basic values: only nils compare; anything else is not comparable here. */
function equalComposite(a: AnyValue, b: AnyValue): Result<boolean> {
  const kindA = a === INVALID ? "invalid" : a.type.kind;
  const kindB = b === INVALID ? "invalid" : b.type.kind;
  if (kindA !== kindB && kindA !== "invalid" && kindB !== "invalid") {
    return fail(
      `non-comparable types ${describe(a)}: ${describeType(a)}, ${describeType(b)}: ${describe(b)}`,
    );
  }
  const nilA = isNil(a);
  const nilB = isNil(b);
  if (nilA || nilB) return ok(nilA === nilB);
  if (b !== INVALID && (b.type.kind === "slice" || b.type.kind === "map")) {
    return fail(`non-comparable type ${describe(b)}: ${describeType(b)}`);
  }
  return fail(`comparing two ${describeType(a)} values is not supported`);
}

function isNil(input: AnyValue): boolean {
  if (input === INVALID) return true;
  return isNillableKind(input.type) && isNilRaw(input.raw);
}

/** A value as Go's `%s` prints a `reflect.Value` in these messages. */
function describe(input: AnyValue, verb = "s"): string {
  if (input === INVALID) return "<invalid reflect.Value>";
  try {
    return printArg(input, verb, noFlags());
  } catch {
    return `<${typeString(input.type)} Value>`;
  }
}

function describeType(input: AnyValue): string {
  return input === INVALID ? "<nil>" : typeString(input.type);
}

/** `lt a b`. */
export function less(first: AnyValue, second: AnyValue): Result<boolean> {
  const a = indirectInterface(first);
  const kindA = basicKind(a);
  if (kindA === undefined) return fail(BAD_TYPE);
  const b = indirectInterface(second);
  const kindB = basicKind(b);
  if (kindB === undefined) return fail(BAD_TYPE);
  const x = (a as Value).raw;
  const y = (b as Value).raw;
  if (kindA !== kindB) {
    if (kindA === "int" && kindB === "uint") return ok((x as bigint) < 0n || (x as bigint) < (y as bigint));
    if (kindA === "uint" && kindB === "int") return ok((y as bigint) >= 0n && (x as bigint) < (y as bigint));
    return fail(
      `incompatible types for comparison: ${typeString((a as Value).type)} and ${typeString((b as Value).type)}`,
    );
  }
  switch (kindA) {
    case "bool":
    case "complex":
      return fail(BAD_TYPE);
    case "string":
      return ok(compareGoStrings(x as string, y as string) < 0);
    default:
      return ok((x as bigint | number) < (y as bigint | number));
  }
}

/** `le a b`: lt, or eq. */
export function lessOrEqual(a: AnyValue, b: AnyValue): Result<boolean> {
  const lessThan = less(a, b);
  if (!lessThan.ok || lessThan.value) return lessThan;
  return equal(a, [b]);
}
