/**
 * Reads and writes SpiffeID resources (`spiffeids.spiffeid.spiffe.io/v1beta1`) through the KubeClient.
 * Writes are replaces carrying `metadata.resourceVersion`, so a concurrent change answers
 * 409 (a KubeApiError of kind `conflict`) instead of being overwritten; callers re-read and retry. Status is
 * written only through the status subresource. Every failure is a KubeApiError naming verb and resource.
 */
import {
  SPIFFEID_API_VERSION,
  SPIFFEID_GROUP,
  SPIFFEID_KIND,
  SPIFFEID_PLURAL,
  SPIFFEID_VERSION,
  type SpiffeId,
} from "../planner/spiffeid.js";
import { KubeApiError, type KubeCall } from "./errors.js";
import type { KubeClient } from "./kube-client.js";

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

export function createSpiffeIdApi(client: KubeClient, options: SpiffeIdApiOptions = {}): SpiffeIdApi {
  const pageSize = options.pageSize ?? 500;
  const group = `/apis/${SPIFFEID_GROUP}/${SPIFFEID_VERSION}`;
  const collection = (namespace?: string) =>
    namespace === undefined
      ? `${group}/${SPIFFEID_PLURAL}`
      : `${group}/namespaces/${encodeURIComponent(namespace)}/${SPIFFEID_PLURAL}`;
  const object = (namespace: string, name: string) => `${collection(namespace)}/${encodeURIComponent(name)}`;
  const call = (verb: string, namespace?: string, name?: string): KubeCall => ({
    verb,
    resource: SPIFFEID_RESOURCE,
    ...(namespace === undefined ? {} : { namespace }),
    ...(name === undefined ? {} : { name }),
  });
  const withKind = <T extends object>(spiffeId: T) => ({
    apiVersion: SPIFFEID_API_VERSION,
    kind: SPIFFEID_KIND,
    ...spiffeId,
  });

  return {
    async list(listOptions = {}) {
      const { namespace, labelSelector } = listOptions;
      const listed = await client.list<SpiffeId>(call("list", namespace), collection(namespace), {
        pageSize,
        query: { labelSelector },
      });
      return listed.items;
    },

    async get(namespace, name) {
      return client.get<SpiffeId>(call("get", namespace, name), object(namespace, name));
    },

    async create(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      return client.request<SpiffeId>(call("create", namespace, name), {
        method: "POST",
        path: collection(namespace),
        body: withKind(spiffeId),
      });
    },

    async replace(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      return client.request<SpiffeId>(call("update", namespace, name), {
        method: "PUT",
        path: object(namespace, name),
        body: withKind(spiffeId),
      });
    },

    async replaceStatus(spiffeId) {
      const { namespace, name } = spiffeId.metadata;
      return client.request<SpiffeId>(
        { ...call("update", namespace, name), resource: `${SPIFFEID_RESOURCE}/status` },
        { method: "PUT", path: `${object(namespace, name)}/status`, body: withKind(spiffeId) },
      );
    },

    async delete(namespace, name, uid) {
      try {
        await client.request(call("delete", namespace, name), {
          method: "DELETE",
          path: object(namespace, name),
          ...(uid === undefined ? {} : { body: { preconditions: { uid } } }),
        });
        return true;
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return false;
        throw error;
      }
    },
  };
}
