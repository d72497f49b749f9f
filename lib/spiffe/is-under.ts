/**
 * Path-segment containment of SPIFFE IDs, the basis of entry ownership (DESIGN §2.4). The Go registrar used
 * a plain string prefix, so `/c/x/node` also claimed `/c/x/nodefoo/...`; comparing whole segments fixes that.
 */
import { formatSpiffeId, parseSpiffeId, type SpiffeId } from "./id.js";

/** One or more valid path segments (`[A-Za-z0-9._-]+`, never `.` or `..`), separated by `/`. */
const SEGMENTS = /^(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9._-]+)*$/;

/**
 * A predicate "is strictly below `root`", prepared once: ownership checks run it on every entry of a
 * resync. A descendant's canonical form is the root's form, `/`, then valid segments, so no parsing is
 * needed per entry. An invalid `root` has no descendants.
 */
export function underRoot(root: string | SpiffeId): (id: string) => boolean {
  const parsed = typeof root === "string" ? parseSpiffeId(root) : { ok: true as const, value: root };
  if (!parsed.ok) return () => false;
  const prefix = `${formatSpiffeId(parsed.value)}/`;
  return (id) => id.startsWith(prefix) && SEGMENTS.test(id.slice(prefix.length));
}

/**
 * True when `id` is strictly below `root`: same trust domain and `root`'s segments are a proper prefix of
 * `id`'s. `root` itself is not under itself. An unparsable `id` is never under anything.
 */
export function isUnder(id: string | SpiffeId, root: string | SpiffeId): boolean {
  return underRoot(root)(typeof id === "string" ? id : formatSpiffeId(id));
}
