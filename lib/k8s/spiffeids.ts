/**
 * Reads and writes SpiffeID resources (`spiffeids.spiffeid.spiffe.io/v1beta1`) through client-node's
 * CustomObjectsApi. Writes are replaces carrying `metadata.resourceVersion`, so a concurrent change answers
 * 409 (a KubeApiError of kind `conflict`) instead of being overwritten; callers re-read and retry. Status is
 * written only through the status subresource. Every failure is a KubeApiError naming verb and resource.
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  SPIFFEID_API_VERSION,
  SPIFFEID_GROUP,
  SPIFFEID_KIND,
  SPIFFEID_PLURAL,
  SPIFFEID_VERSION,
  type SpiffeId,
} from "../planner/spiffeid.js";
import { type KubeCall, statusOf, toKubeApiError } from "./errors.js";

/** The resource name used in error messages and RBAC hints. */
export const SPIFFEID_RESOURCE = `${SPIFFEID_PLURAL}.${SPIFFEID_GROUP}`;

/** A SpiffeID to create: no resourceVersion, uid or status (the API server ignores status on create). */
export type NewSpiffeId = Pick<SpiffeId, "spec"> & {
  readonly metadata: Pick<
    SpiffeId["metadata"],
    "name" | "namespace" | "labels" | "ownerReferences" | "finalizers"
  >;
};

export interface SpiffeIdListOptions {
  /** Only this namespace (default: all namespaces). */
  readonly namespace?: string;
  readonly labelSelector?: string;
}

/** The SpiffeID operations of CRD mode. */
export interface SpiffeIdApi {
  /** Every matching SpiffeID, read page by page. */
  list(options?: SpiffeIdListOptions): Promise<SpiffeId[]>;
  /** The SpiffeID, or undefined when it does not exist. */
  get(namespace: string, name: string): Promise<SpiffeId | undefined>;
  /** Creates it; 409 (conflict) when one with that name exists. */
  create(spiffeId: NewSpiffeId): Promise<SpiffeId>;
  /** Replaces metadata and spec (status is ignored); `metadata.resourceVersion` must be current. */
  replace(spiffeId: SpiffeId): Promise<SpiffeId>;
  /** Replaces the status only (status subresource); `metadata.resourceVersion` must be current. */
  replaceStatus(spiffeId: SpiffeId): Promise<SpiffeId>;
  /**
   * Deletes it (with finalizers present, the API server only sets `deletionTimestamp`). `uid` is a
   * precondition: a same-named successor is never deleted by mistake (409 instead). False when it was gone.
   */
  delete(namespace: string, name: string, uid?: string): Promise<boolean>;
}

export interface SpiffeIdApiOptions {
  /** Objects per list response (default 500). */
  readonly pageSize?: number;
}

export function createSpiffeIdApi(kubeConfig: KubeConfig, options: SpiffeIdApiOptions = {}): SpiffeIdApi {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const limit = options.pageSize ?? 500;
  const base = { group: SPIFFEID_GROUP, version: SPIFFEID_VERSION, plural: SPIFFEID_PLURAL };
  const call = (verb: string, namespace?: string, name?: string): KubeCall => ({
    verb,
    resource: SPIFFEID_RESOURCE,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  });

  return {
    async list(listOptions = {}) {
      const { namespace, labelSelector } = listOptions;
      const items: SpiffeId[] = [];
      let _continue: string | undefined;
      do {
        const page = (await send(call("list", namespace), () =>
          namespace === undefined
            ? api.listClusterCustomObject({ ...base, labelSelector, limit, _continue })
            : api.listNamespacedCustomObject({ ...base, namespace, labelSelector, limit, _continue }),
        )) as { items?: SpiffeId[]; metadata?: { continue?: string; _continue?: string } };
        items.push(...(page.items ?? []));
        // The untyped response is the raw JSON: the token is `metadata.continue`.
        _continue = page.metadata?.continue || page.metadata?._continue || undefined;
      } while (_continue);
      return items;
    },

    async get(namespace, name) {
      try {
        return (await api.getNamespacedCustomObject({ ...base, namespace, name })) as SpiffeId;
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw toKubeApiError(error, call("get", namespace, name));
      }
    },

    async create(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      const body = { apiVersion: SPIFFEID_API_VERSION, kind: SPIFFEID_KIND, ...spiffeId };
      return (await send(call("create", namespace, name), () =>
        api.createNamespacedCustomObject({ ...base, namespace, body }),
      )) as SpiffeId;
    },

    async replace(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      const body = { apiVersion: SPIFFEID_API_VERSION, kind: SPIFFEID_KIND, ...spiffeId };
      return (await send(call("update", namespace, name), () =>
        api.replaceNamespacedCustomObject({ ...base, namespace, name, body }),
      )) as SpiffeId;
    },

    async replaceStatus(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      const body = { apiVersion: SPIFFEID_API_VERSION, kind: SPIFFEID_KIND, ...spiffeId };
      return (await send(
        { ...call("update", namespace, name), resource: `${SPIFFEID_RESOURCE}/status` },
        () => api.replaceNamespacedCustomObjectStatus({ ...base, namespace, name, body }),
      )) as SpiffeId;
    },

    async delete(namespace, name, uid) {
      try {
        await api.deleteNamespacedCustomObject({
          ...base,
          namespace,
          name,
          ...(uid === undefined ? {} : { body: { preconditions: { uid } } }),
        });
        return true;
      } catch (error) {
        if (statusOf(error) === 404) return false;
        throw toKubeApiError(error, call("delete", namespace, name));
      }
    },
  };
}

async function send<T>(what: KubeCall, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw toKubeApiError(error, what);
  }
}
