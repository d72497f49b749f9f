/**
 * The identity of an entry: SPIFFE ID, parent ID and selector *set* — the tuple the SPIRE server refuses to
 * duplicate (`AlreadyExists "similar entry already exists"`). Everything else about an entry is updatable.
 */
import type { EntrySpec, Selector } from "./entry.js";

/**
 * A string equal for two entries exactly when SPIRE considers them the same: selector order and repeats do
 * not matter. SPIRE forbids `:` in selector types, so `type:value` is unambiguous.
 */
export function entryKey(spec: Pick<EntrySpec, "spiffeId" | "parentId" | "selectors">): string {
  // Keys are computed for every entry on every diff, so they are plain concatenations. SPIFFE IDs cannot
  // contain a newline; a selector value can, and then the unambiguous (slower) JSON form is used.
  if (spec.selectors.length === 2) {
    // Pod and node entries: two selectors, built without intermediate arrays.
    const [first, second] = spec.selectors as readonly [Selector, Selector];
    const a = `${first.type}:${first.value}`;
    const b = `${second.type}:${second.value}`;
    if (!a.includes("\n") && !b.includes("\n")) {
      const pair = a < b ? `${a}\n${b}` : a > b ? `${b}\n${a}` : a;
      return `${spec.spiffeId}\n${spec.parentId}\n${pair}`;
    }
  }
  const selectors = selectorSetKey(spec.selectors);
  if (selectors.some((selector) => selector.includes("\n"))) {
    return JSON.stringify([spec.spiffeId, spec.parentId, ...selectors]);
  }
  return `${spec.spiffeId}\n${spec.parentId}\n${selectors.join("\n")}`;
}

/** The selectors as sorted, de-duplicated `type:value` strings. */
export function selectorSetKey(selectors: readonly Selector[]): string[] {
  // Pod and node entries have exactly two selectors; skip the general sort for them.
  if (selectors.length === 2) {
    const [first, second] = selectors as readonly [Selector, Selector];
    const a = `${first.type}:${first.value}`;
    const b = `${second.type}:${second.value}`;
    return a < b ? [a, b] : a > b ? [b, a] : [a];
  }
  const values = selectors.map((selector) => `${selector.type}:${selector.value}`);
  if (values.length < 2) return values;
  values.sort();
  return values.filter((value, index) => index === 0 || value !== values[index - 1]);
}
