/**
 * Go types by name: the builtin basic types, composite type expressions (`*T`, `[]T`, `map[K]V`) and the
 * Kubernetes types of `k8s-types.ts`, resolved once and cached. Types outside that table (unexported
 * internals such as `resource.int64Amount`) resolve to opaque structs without fields.
 */
import { K8S_TYPES } from "./k8s-types.js";
import type { TypeDefinition } from "./type-definition.js";
import type { BasicType, GoType, StructField, StructType } from "./value.js";

const BASIC_KINDS: Readonly<Record<string, { kind: BasicType["kind"]; bits: number }>> = {
  string: { kind: "string", bits: 0 },
  bool: { kind: "bool", bits: 0 },
  int: { kind: "int", bits: 64 },
  int8: { kind: "int", bits: 8 },
  int16: { kind: "int", bits: 16 },
  int32: { kind: "int", bits: 32 },
  int64: { kind: "int", bits: 64 },
  uint: { kind: "uint", bits: 64 },
  uint8: { kind: "uint", bits: 8 },
  uint16: { kind: "uint", bits: 16 },
  uint32: { kind: "uint", bits: 32 },
  uint64: { kind: "uint", bits: 64 },
  uintptr: { kind: "uint", bits: 64 },
  float32: { kind: "float", bits: 32 },
  float64: { kind: "float", bits: 64 },
  complex128: { kind: "complex", bits: 128 },
};

const cache = new Map<string, GoType>();

/** The Go type written `name` (as `reflect.Type.String()` writes it). */
export function resolveType(name: string): GoType {
  const cached = cache.get(name);
  if (cached !== undefined) return cached;
  const type = buildType(name);
  cache.set(name, type);
  return type;
}

function buildType(name: string): GoType {
  if (name.startsWith("*")) return { kind: "pointer", elem: resolveType(name.slice(1)) };
  if (name.startsWith("[]")) return { kind: "slice", name: undefined, elem: resolveType(name.slice(2)) };
  if (name.startsWith("map[")) {
    const close = matchingBracket(name, 3);
    return {
      kind: "map",
      name: undefined,
      key: resolveType(name.slice(4, close)),
      elem: resolveType(name.slice(close + 1)),
    };
  }
  const basic = BASIC_KINDS[name];
  if (basic !== undefined) return { ...basic, name };
  const definition = K8S_TYPES[name];
  if (definition === undefined) return structType(name, "", "", "");
  return namedType(name, definition);
}

function namedType(name: string, definition: TypeDefinition): GoType {
  if ("fields" in definition) {
    return structType(name, definition.fields, definition.valueMethods, definition.pointerMethods);
  }
  if ("key" in definition) {
    return { kind: "map", name, key: resolveType(definition.key), elem: resolveType(definition.elem) };
  }
  if ("elem" in definition) return { kind: "slice", name, elem: resolveType(definition.elem) };
  const basic = BASIC_KINDS[definition.kind];
  if (basic === undefined) throw new Error(`k8s-types.ts: unsupported kind ${definition.kind} of ${name}`);
  return { ...basic, name, ...valueMethodsOf(definition) };
}

function valueMethodsOf(definition: TypeDefinition): Pick<BasicType, "methods"> {
  return "valueMethods" in definition && definition.valueMethods !== ""
    ? { methods: new Set(definition.valueMethods.split(" ")) }
    : {};
}

/** A struct type from the compact field list of k8s-types.ts (also used for SCM's own template data). */
export function structType(
  name: string,
  fields: string,
  valueMethods: string,
  pointerMethods: string,
): StructType {
  return {
    kind: "struct",
    name,
    fields: fields === "" ? [] : fields.split(" ").map(parseField),
    valueMethods: new Set(valueMethods === "" ? [] : valueMethods.split(" ")),
    pointerMethods: new Set(pointerMethods === "" ? [] : pointerMethods.split(" ")),
  };
}

function parseField(entry: string): StructField {
  const [name = "", json = "", typeName = "", flags = ""] = entry.split(":");
  let resolved: GoType | undefined;
  return {
    name,
    json,
    type: () => {
      resolved ??= resolveType(typeName);
      return resolved;
    },
    exported: !flags.includes("u"),
    embedded: flags.includes("e"),
  };
}

function matchingBracket(text: string, open: number): number {
  let depth = 0;
  for (let index = open; index < text.length; index++) {
    if (text[index] === "[") depth++;
    else if (text[index] === "]" && --depth === 0) return index;
  }
  throw new Error(`unbalanced type name ${text}`);
}

/**
 * Go's `FieldByName`: a field of `type` or, breadth-first, of its embedded structs. Returns the path of
 * fields from `type` to it, or undefined.
 */
export function findField(type: StructType, name: string): StructField[] | undefined {
  let level: { type: StructType; path: StructField[] }[] = [{ type, path: [] }];
  while (level.length > 0) {
    const next: { type: StructType; path: StructField[] }[] = [];
    for (const { type: current, path } of level) {
      for (const field of current.fields) {
        if (field.name === name) return [...path, field];
        const fieldType = field.type();
        if (field.embedded && fieldType.kind === "struct")
          next.push({ type: fieldType, path: [...path, field] });
      }
    }
    level = next;
  }
  return undefined;
}
