/**
 * An in-memory SpiffeID API (lib/k8s/spiffeids.ts `SpiffeIdApi`) that follows the API server's rules, for
 * component tests of CRD mode:
 *  - every write bumps a cluster-wide resourceVersion; replace and replaceStatus with a stale one answer 409;
 *  - create of an existing name answers 409; status is dropped on create and ignored by replace, and only
 *    replaceStatus writes it (the status subresource); `generation` counts spec changes;
 *  - delete of an object with finalizers only sets `deletionTimestamp`; it disappears when a replace removes
 *    the last finalizer; no new finalizer can be added once deletion started;
 *  - a delete `uid` precondition that does not match answers 409.
 * No garbage collector runs: owner references are stored, never acted on. Reads return copies.
 */
import { httpError, type KubeApiError } from "../../lib/k8s/errors.js";
import { type NewSpiffeId, SPIFFEID_RESOURCE, type SpiffeIdApi } from "../../lib/k8s/spiffeids.js";
import type { SpiffeId } from "../../lib/planner/spiffeid.js";

export interface FakeSpiffeIdStore extends SpiffeIdApi {
  /** The stored objects, by `namespace/name` (copies). */
  all(): SpiffeId[];
  /** Stores an object as-is (status included), as if written by someone else; returns the stored copy. */
  seed(spiffeId: NewSpiffeId & { status?: SpiffeId["status"] }): SpiffeId;
  /** Writes (create, replace, status, delete) that changed something, per verb. */
  readonly writes: Record<"create" | "replace" | "status" | "delete", number>;
  /** When set, every call throws it. */
  failWith: KubeApiError | undefined;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;
const copy = <T>(value: T): T => structuredClone(value);

export function createFakeSpiffeIdStore(
  now: () => string = () => new Date().toISOString(),
): FakeSpiffeIdStore {
  const objects = new Map<string, SpiffeId>();
  let version = 0;
  let uids = 0;
  const writes = { create: 0, replace: 0, status: 0, delete: 0 };

  const apiError = (code: number, message: string, verb: string, namespace: string, name: string) =>
    httpError(
      { verb, resource: SPIFFEID_RESOURCE, namespace, name },
      code,
      JSON.stringify({ kind: "Status", message }),
    );

  function current(verb: string, spiffeId: SpiffeId): SpiffeId {
    const { namespace, name, resourceVersion } = spiffeId.metadata;
    const stored = objects.get(key(namespace, name));
    if (stored === undefined) throw apiError(404, `spiffeids "${name}" not found`, verb, namespace, name);
    if (resourceVersion === undefined || resourceVersion === "")
      throw apiError(
        422,
        "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
        verb,
        namespace,
        name,
      );
    if (resourceVersion !== stored.metadata.resourceVersion) {
      throw apiError(
        409,
        `Operation cannot be fulfilled on spiffeids.spiffeid.spiffe.io "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        verb,
        namespace,
        name,
      );
    }
    return stored;
  }

  function store(spiffeId: SpiffeId): SpiffeId {
    const { namespace, name } = spiffeId.metadata;
    const stored = { ...spiffeId, metadata: { ...spiffeId.metadata, resourceVersion: String(++version) } };
    objects.set(key(namespace, name), copy(stored));
    return copy(stored);
  }

  const fake: FakeSpiffeIdStore = {
    writes,
    failWith: undefined,

    all: () => [...objects.values()].map(copy),

    seed(spiffeId) {
      return store({
        apiVersion: "spiffeid.spiffe.io/v1beta1",
        kind: "SpiffeID",
        ...copy(spiffeId),
        metadata: { ...copy(spiffeId.metadata), uid: `spiffeid-uid-${++uids}`, generation: 1 },
      });
    },

    async list(options = {}) {
      check();
      const selector = parseLabelSelector(options.labelSelector);
      return [...objects.values()]
        .filter(
          (object) => options.namespace === undefined || object.metadata.namespace === options.namespace,
        )
        .filter((object) => selector.every(([k, v]) => object.metadata.labels?.[k] === v))
        .map(copy);
    },

    async get(namespace, name) {
      check();
      const stored = objects.get(key(namespace, name));
      return stored && copy(stored);
    },

    async create(spiffeId) {
      check();
      const { namespace, name } = spiffeId.metadata;
      if (objects.has(key(namespace, name)))
        throw apiError(
          409,
          `spiffeids.spiffeid.spiffe.io "${name}" already exists`,
          "create",
          namespace,
          name,
        );
      writes.create++;
      const { status: _ignored, ...withoutStatus } = spiffeId as SpiffeId;
      return store({
        apiVersion: "spiffeid.spiffe.io/v1beta1",
        kind: "SpiffeID",
        ...copy(withoutStatus),
        metadata: { ...copy(spiffeId.metadata), uid: `spiffeid-uid-${++uids}`, generation: 1 },
      });
    },

    async replace(spiffeId) {
      check();
      const stored = current("update", spiffeId);
      const { namespace, name } = stored.metadata;
      const finalizers = spiffeId.metadata.finalizers ?? [];
      const deleting = stored.metadata.deletionTimestamp !== undefined;
      if (deleting && finalizers.some((f) => !(stored.metadata.finalizers ?? []).includes(f)))
        throw apiError(
          422,
          "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted",
          "update",
          namespace,
          name,
        );
      writes.replace++;
      const specChanged = JSON.stringify(spiffeId.spec) !== JSON.stringify(stored.spec);
      const next: SpiffeId = {
        ...copy(spiffeId),
        status: copy(stored.status),
        metadata: {
          ...copy(spiffeId.metadata),
          // Fields the server owns.
          uid: stored.metadata.uid,
          generation: (stored.metadata.generation ?? 1) + (specChanged ? 1 : 0),
          ...(deleting ? { deletionTimestamp: stored.metadata.deletionTimestamp } : {}),
        },
      };
      if (deleting && finalizers.length === 0) {
        objects.delete(key(namespace, name));
        return { ...next, metadata: { ...next.metadata, resourceVersion: String(++version) } };
      }
      return store(next);
    },

    async replaceStatus(spiffeId) {
      check();
      const stored = current("update", spiffeId);
      writes.status++;
      return store({ ...stored, status: copy(spiffeId.status) });
    },

    async delete(namespace, name, uid) {
      check();
      const stored = objects.get(key(namespace, name));
      if (stored === undefined) return false;
      if (uid !== undefined && uid !== stored.metadata.uid)
        throw apiError(
          409,
          `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.metadata.uid}`,
          "delete",
          namespace,
          name,
        );
      if ((stored.metadata.finalizers ?? []).length === 0) {
        writes.delete++;
        objects.delete(key(namespace, name));
        return true;
      }
      if (stored.metadata.deletionTimestamp === undefined) {
        writes.delete++;
        store({ ...stored, metadata: { ...stored.metadata, deletionTimestamp: now() } });
      }
      return true;
    },
  };

  function check(): void {
    if (fake.failWith) throw fake.failWith;
  }
  return fake;
}

/** `a=b,c=d` equality selectors only (all the registrar uses). */
function parseLabelSelector(selector: string | undefined): [string, string][] {
  if (!selector) return [];
  return selector.split(",").map((part) => {
    const [k = "", v = ""] = part.split("=");
    return [k.trim(), v.trim()];
  });
}
