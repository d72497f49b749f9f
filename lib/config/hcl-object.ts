/**
 * The plain objects an HCL body becomes, in the shape hcl2-parser (hcl2json) gave and lib/config
 * decodes: an attribute is a property; a block `name { ... }` is appended to an array under `name`
 * (so `context { ... }` is `{ context: [{ ... }] }`); a labelled block `name "a" "b" { ... }` is
 * `{ name: { a: { b: [{ ... }] } } }`, sharing the label objects with other blocks of that name.
 */

export type HclObject = Record<string, unknown>;

/** Sets an own, enumerable property, also for keys such as `__proto__` that assignment would not. */
export function setOwn(object: HclObject, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Adds a block's body at `path` (its name, then its labels). False, changing nothing, when a value
 * of another shape is in the way (blocks of that name with a different number of labels).
 */
export function addBlock(object: HclObject, path: readonly string[], body: HclObject): boolean {
  const [name, ...labels] = path as [string, ...string[]];
  let parent = object;
  let key = name;
  for (const [index, label] of labels.entries()) {
    const existing = Object.hasOwn(parent, key) ? parent[key] : undefined;
    if (existing === undefined) {
      // Nothing below a new key can be in the way: build the rest of the path at once.
      setOwn(parent, key, blockValue(labels.slice(index), body));
      return true;
    }
    if (!isObject(existing)) return false;
    parent = existing;
    key = label;
  }
  const existing = Object.hasOwn(parent, key) ? parent[key] : undefined;
  if (existing === undefined) setOwn(parent, key, [body]);
  else if (Array.isArray(existing)) existing.push(body);
  else return false;
  return true;
}

/** What a block with these labels is on its own: `{ a: { b: [body] } }`, or `[body]` without labels. */
export function blockValue(labels: readonly string[], body: HclObject): unknown {
  let value: unknown = [body];
  for (const label of [...labels].reverse()) {
    const wrapper: HclObject = {};
    setOwn(wrapper, label, value);
    value = wrapper;
  }
  return value;
}

function isObject(value: unknown): value is HclObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
