/**
 * Go text/template's builtin functions: their parameter types (which decide how arguments are evaluated and
 * checked) and their behaviour with Go's errors. `and`, `or` and `call` are special forms of the executor.
 */
import { fail, ok, type Result } from "../../spiffe/result.js";
import { equal, less, lessOrEqual } from "./compare.js";
import { htmlEscape, jsEscape, urlQueryEscape } from "./escapers.js";
import { sprint, sprintf, sprintln } from "./fmt.js";
import { resolveType } from "./types.js";
import {
  type AnyValue,
  boolValue,
  fromJson,
  INVALID,
  indirect,
  indirectInterface,
  intValue,
  isNilRaw,
  lengthOf,
  stringValue,
  typeString,
  type Value,
  value,
  zeroValue,
} from "./value.js";

/** How an argument is received: as a reflect.Value, as `interface {}`, or as a `string`. */
export type ParameterType = "reflect" | "any" | "string";

export interface Builtin {
  readonly fixed: readonly ParameterType[];
  readonly variadic: ParameterType | undefined;
  readonly run: (args: readonly AnyValue[]) => Result<AnyValue>;
}

const REFLECT_ONLY = (count: number): ParameterType[] => Array.from({ length: count }, () => "reflect");

function predicate(run: (args: readonly AnyValue[]) => Result<boolean>): Builtin["run"] {
  return (args) => {
    const result = run(args);
    return result.ok ? ok(boolValue(result.value)) : result;
  };
}

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ["and", { fixed: ["reflect"], variadic: "reflect", run: () => ok(INVALID) }],
  ["or", { fixed: ["reflect"], variadic: "reflect", run: () => ok(INVALID) }],
  ["call", { fixed: ["reflect"], variadic: "reflect", run: () => ok(INVALID) }],
  ["not", { fixed: ["reflect"], variadic: undefined, run: ([arg]) => ok(boolValue(!truth(arg ?? INVALID))) }],
  ["len", { fixed: ["reflect"], variadic: undefined, run: ([arg]) => length(arg ?? INVALID) }],
  [
    "index",
    { fixed: ["reflect"], variadic: "reflect", run: ([item, ...indexes]) => index(item ?? INVALID, indexes) },
  ],
  [
    "slice",
    { fixed: ["reflect"], variadic: "reflect", run: ([item, ...indexes]) => slice(item ?? INVALID, indexes) },
  ],
  ["print", { fixed: [], variadic: "any", run: (args) => ok(stringValue(sprint(args))) }],
  ["println", { fixed: [], variadic: "any", run: (args) => ok(stringValue(sprintln(args))) }],
  [
    "printf",
    {
      fixed: ["string"],
      variadic: "any",
      run: ([format, ...args]) => ok(stringValue(sprintf((format as Value).raw as string, args))),
    },
  ],
  ["html", { fixed: [], variadic: "any", run: (args) => ok(stringValue(htmlEscape(evalArgs(args)))) }],
  ["js", { fixed: [], variadic: "any", run: (args) => ok(stringValue(jsEscape(evalArgs(args)))) }],
  [
    "urlquery",
    { fixed: [], variadic: "any", run: (args) => ok(stringValue(urlQueryEscape(evalArgs(args)))) },
  ],
  [
    "eq",
    { fixed: ["reflect"], variadic: "reflect", run: predicate(([a, ...rest]) => equal(a ?? INVALID, rest)) },
  ],
  [
    "ne",
    {
      fixed: REFLECT_ONLY(2),
      variadic: undefined,
      run: predicate(([a, b]) => notEqual(a ?? INVALID, b ?? INVALID)),
    },
  ],
  [
    "lt",
    {
      fixed: REFLECT_ONLY(2),
      variadic: undefined,
      run: predicate(([a, b]) => less(a ?? INVALID, b ?? INVALID)),
    },
  ],
  [
    "le",
    {
      fixed: REFLECT_ONLY(2),
      variadic: undefined,
      run: predicate(([a, b]) => lessOrEqual(a ?? INVALID, b ?? INVALID)),
    },
  ],
  [
    "gt",
    {
      fixed: REFLECT_ONLY(2),
      variadic: undefined,
      run: predicate(([a, b]) => negate(lessOrEqual(a ?? INVALID, b ?? INVALID))),
    },
  ],
  [
    "ge",
    {
      fixed: REFLECT_ONLY(2),
      variadic: undefined,
      run: predicate(([a, b]) => negate(less(a ?? INVALID, b ?? INVALID))),
    },
  ],
]);

function notEqual(a: AnyValue, b: AnyValue): Result<boolean> {
  return negate(equal(a, [b]));
}

function negate(result: Result<boolean>): Result<boolean> {
  return result.ok ? ok(!result.value) : result;
}

/** Go's truth: non-zero numbers, non-empty strings/slices/maps, non-nil pointers, any struct, true. */
export function isTrue(input: AnyValue): { truth: boolean; ok: boolean } {
  if (input === INVALID) return { truth: false, ok: true };
  const raw = input.raw;
  switch (input.type.kind) {
    case "string":
    case "slice":
    case "map":
      return { truth: (lengthOf(input) ?? 0) > 0, ok: true };
    case "bool":
      return { truth: raw === true, ok: true };
    case "int":
    case "uint":
      return { truth: raw !== 0n, ok: true };
    case "float":
      return { truth: raw !== 0, ok: true };
    case "complex": {
      const { re, im } = raw as { re: number; im: number };
      return { truth: re !== 0 || im !== 0, ok: true };
    }
    case "pointer":
    case "interface":
      return { truth: !isNilRaw(raw), ok: true };
    case "struct":
      return { truth: true, ok: true };
  }
}

export function truth(input: AnyValue): boolean {
  return isTrue(indirectInterface(input)).truth;
}

function length(item: AnyValue): Result<AnyValue> {
  if (item === INVALID) return fail("reflect: call of reflect.Value.Type on zero Value");
  const { value: target, isNil } = indirect(item);
  if (isNil) return fail("len of nil pointer");
  const count = lengthOf(target);
  if (count === undefined) return fail(`len of type ${typeString(target.type)}`);
  return ok(intValue(BigInt(count)));
}

/** An index argument as an int: Go's `indexArg` (`x > cap` fails; `x == len` fails later). */
function indexArgument(input: AnyValue, cap: number): Result<number> {
  if (input === INVALID) return fail("cannot index slice/array with nil");
  if (input.type.kind !== "int" && input.type.kind !== "uint") {
    return fail(`cannot index slice/array with type ${typeString(input.type)}`);
  }
  const x = input.raw as bigint;
  if (x < 0n || x > BigInt(cap)) return fail(`index out of range: ${x}`);
  return ok(Number(x));
}

function index(start: AnyValue, indexes: readonly AnyValue[]): Result<AnyValue> {
  let item = indirectInterface(start);
  if (item === INVALID) return fail("index of untyped nil");
  for (const rawIndex of indexes) {
    const position = indirectInterface(rawIndex);
    const { value: target, isNil } = indirect(item);
    if (isNil) return fail("index of nil pointer");
    const next = indexOnce(target, position);
    if (!next.ok) return next;
    item = next.value;
  }
  return ok(item);
}

function indexOnce(target: Value, position: AnyValue): Result<Value> {
  const type = target.type;
  if (type.kind === "string" || type.kind === "slice") {
    const size = lengthOf(target) ?? 0;
    const x = indexArgument(position, size);
    if (!x.ok) return x;
    if (x.value >= size) return fail(`reflect: ${type.kind} index out of range`);
    if (type.kind === "string") {
      const byte = new TextEncoder().encode(target.raw as string)[x.value] ?? 0;
      return ok(value(resolveType("uint8"), BigInt(byte)));
    }
    if (type.kind === "slice") return ok(fromJson(type.elem, (target.raw as unknown[])[x.value], true));
  }
  if (type.kind === "map") {
    const key = mapKey(position, type.key);
    if (!key.ok) return key;
    const entries = target.raw as Record<string, unknown> | undefined | null;
    if (entries !== undefined && entries !== null && Object.hasOwn(entries, key.value)) {
      return ok(fromJson(type.elem, entries[key.value], false));
    }
    return ok(zeroValue(type.elem));
  }
  return fail(`can't index item of type ${typeString(type)}`);
}

/** Go's `prepareArg` for a map key: the key's exact type (all Kubernetes maps have string keys). */
function mapKey(position: AnyValue, keyType: Value["type"]): Result<string> {
  if (position === INVALID) return fail(`value is nil; should be of type ${typeString(keyType)}`);
  if (typeString(position.type) !== typeString(keyType)) {
    return fail(`value has type ${typeString(position.type)}; should be ${typeString(keyType)}`);
  }
  return ok(position.raw as string);
}

function slice(start: AnyValue, indexes: readonly AnyValue[]): Result<AnyValue> {
  const item = indirectInterface(start);
  if (item === INVALID) return fail("slice of untyped nil");
  const { value: target, isNil } = indirect(item);
  if (isNil) return fail("slice of nil pointer");
  if (indexes.length > 3) return fail(`too many slice indexes: ${indexes.length}`);
  const type = target.type;
  if (type.kind === "string" && indexes.length === 3) return fail("cannot 3-index slice a string");
  if (type.kind !== "string" && type.kind !== "slice")
    return fail(`can't slice item of type ${typeString(type)}`);
  const size = lengthOf(target) ?? 0;
  const bounds = [0, size, size];
  for (const [position, rawIndex] of indexes.entries()) {
    const x = indexArgument(indirectInterface(rawIndex), size);
    if (!x.ok) return x;
    bounds[position] = x.value;
  }
  const [low = 0, high = size, max = size] = bounds;
  if (low > high) return fail(`invalid slice index: ${low} > ${high}`);
  if (indexes.length === 3 && high > max) return fail(`invalid slice index: ${high} > ${max}`);
  if (type.kind === "string") {
    const bytes = new TextEncoder().encode(target.raw as string).slice(low, high);
    return ok(value(type, new TextDecoder().decode(bytes)));
  }
  const items = Array.isArray(target.raw) ? target.raw.slice(low, high) : [];
  return ok(value(type, items));
}

/**
 * The text of the escapers' arguments: one plain `string` as is, else `fmt.Sprint` of the arguments with
 * absent values (nil) shown as `<no value>`, like Go's `evalArgs`.
 */
function evalArgs(args: readonly AnyValue[]): string {
  const [only] = args;
  if (args.length === 1 && only !== undefined && only !== INVALID && typeString(only.type) === "string") {
    return only.raw as string;
  }
  return sprint(args.map((arg) => (arg === INVALID ? stringValue("<no value>") : arg)));
}
