/**
 * Path-segment containment of SPIFFE IDs, the basis of entry ownership (DESIGN §2.4). The Go registrar used
 * a plain string prefix, so `/c/x/node` also claimed `/c/x/nodefoo/...`; comparing whole segments fixes that.
 */
import { formatSpiffeId, parseSpiffeId, type SpiffeId } from "./id.js";

/**
 * True when `id` is strictly below `root`: same trust domain and `root`'s segments are a proper prefix of
 * `id`'s. `root` itself is not under itself. An unparsable `id` is never under anything.
 */
export function isUnder(id: string | SpiffeId, root: string | SpiffeId): boolean {
  // Necessary condition, and cheap: the canonical form of a descendant extends the root's form by "/...".
  // It rejects almost every entry before any parsing, which matters when classifying thousands of entries.
  const idText = typeof id === "string" ? id : formatSpiffeId(id);
  const rootText = typeof root === "string" ? root : formatSpiffeId(root);
  if (!idText.startsWith(`${rootText}/`)) return false;
  const child = typeof id === "string" ? parseSpiffeId(id) : { ok: true as const, value: id };
  const parent = typeof root === "string" ? parseSpiffeId(root) : { ok: true as const, value: root };
  if (!child.ok || !parent.ok) return false;
  if (child.value.trustDomain !== parent.value.trustDomain) return false;
  const rootSegments = parent.value.segments;
  const childSegments = child.value.segments;
  if (childSegments.length <= rootSegments.length) return false;
  return rootSegments.every((segment, index) => childSegments[index] === segment);
}
