/**
 * A client of SPIRE's TrustDomain API for cluster-spiffeid mode: the federation relationships that
 * ClusterFederatedTrustDomains declare. It sends what spire-controller-manager sends (page and batch sizes,
 * updates with no input mask, the bundle only when the resource has one) over the entry client's transport,
 * with the same per-call deadline and retries (lib/spire/rpc.ts). Per-item outcomes are values aligned with
 * the input; only a whole RPC failing (after retries) makes a call return `{ ok: false }`.
 */
import { Code, createClient } from "@connectrpc/connect";
import { TrustDomain as TrustDomainService } from "../../proto/gen/spire/api/server/trustdomain/v1/trustdomain_pb.js";
import type { FederationRelationship as FederationRelationshipMessage } from "../../proto/gen/spire/api/types/federationrelationship_pb.js";
import type { Status } from "../../proto/gen/spire/api/types/status_pb.js";
import type { FederationRelationship } from "../scm/cluster-federated-trust-domain.js";
import { fail } from "../spiffe/result.js";
import type { BatchSizes } from "./client.js";
import { SpireError } from "./errors.js";
import { federationRelationshipFromProto, federationRelationshipToProto } from "./federation-convert.js";
import type { BatchResult, ItemError, RpcOptions, SpireResult } from "./rpc.js";
import { createRpc, itemError, OK, statusCode } from "./rpc.js";

/** spire-controller-manager's sizes for federation relationships. */
export const DEFAULT_FEDERATION_BATCH_SIZES: BatchSizes = { create: 50, update: 50, delete: 200 };
/** spire-controller-manager's ListFederationRelationships page size. */
export const DEFAULT_FEDERATION_PAGE_SIZE = 200;

export interface TrustDomainClientOptions extends RpcOptions {
  /** ListFederationRelationships page size (default 200). */
  readonly pageSize?: number;
  readonly batchSize?: Partial<BatchSizes>;
}

/** A relationship written; `relationship` is what SPIRE answered. */
export type FederationRelationshipResult =
  | { readonly ok: true; readonly relationship: FederationRelationship }
  | ItemError;
/** `existed: false`: SPIRE had no relationship with this trust domain, which is what a delete wants. */
export type DeleteFederationRelationshipResult =
  | { readonly ok: true; readonly trustDomain: string; readonly existed: boolean }
  | ItemError;

export interface TrustDomainClient {
  /**
   * Every federation relationship, following page tokens until the server returns an empty one. Bundles
   * are not reliable here: spire-server (1.13 to 1.15 at least) looks a relationship's bundle up under the
   * page's row condition, so on pages after the first it may be missing. Compare URL and profile only,
   * as spire-controller-manager does.
   */
  listFederationRelationships(): Promise<SpireResult<FederationRelationship[]>>;
  /**
   * One result per relationship, in input order. SPIRE refuses a trust domain it already has a
   * relationship with (Internal, a datastore uniqueness failure) and its own trust domain (InvalidArgument).
   * A relationship with a `bundleError` is not sent: its item fails with InvalidArgument and that error,
   * while spire-controller-manager fails the whole call.
   */
  createFederationRelationships(
    relationships: readonly FederationRelationship[],
  ): Promise<BatchResult<FederationRelationshipResult>>;
  /**
   * Writes each relationship's URL and profile (by trust domain) with no input mask, as
   * spire-controller-manager does; its bundle, when it has one, replaces SPIRE's, and without one SPIRE
   * keeps its bundle. A missing trust domain fails with Internal ("record not found"); a `bundleError`
   * as on create.
   */
  updateFederationRelationships(
    relationships: readonly FederationRelationship[],
  ): Promise<BatchResult<FederationRelationshipResult>>;
  /** Deletes the relationships with these trust domain names; SPIRE keeps their bundles. */
  deleteFederationRelationships(
    trustDomains: readonly string[],
  ): Promise<BatchResult<DeleteFederationRelationshipResult>>;
}

/**
 * Builds a client over a transport, which it does not own: closing the transport (e.g. through the entry
 * client sharing it) ends this client too. Nothing is sent until the first call.
 */
export function createTrustDomainClient(options: TrustDomainClientOptions): TrustDomainClient {
  const { transport } = options;
  const pageSize = options.pageSize ?? DEFAULT_FEDERATION_PAGE_SIZE;
  const batchSizes: BatchSizes = { ...DEFAULT_FEDERATION_BATCH_SIZES, ...options.batchSize };
  const { call, batched } = createRpc(options);
  const trustDomains = createClient(TrustDomainService, transport.transport);

  /** Create and update: the same request and result shapes, and the same local refusal of bundle errors. */
  function write(
    method: string,
    relationships: readonly FederationRelationship[],
    size: number,
    send: (
      messages: FederationRelationshipMessage[],
      callOptions: { timeoutMs: number },
    ) => Promise<{ results: { status?: Status; federationRelationship?: FederationRelationshipMessage }[] }>,
  ): Promise<BatchResult<FederationRelationshipResult>> {
    return batched(relationships, size, async (chunkItems) => {
      const sendable = chunkItems.filter((relationship) => relationship.bundleError === undefined);
      let results: Awaited<ReturnType<typeof send>>["results"] = [];
      if (sendable.length > 0) {
        const result = await call(method, (o) => send(sendable.map(federationRelationshipToProto), o));
        if (!result.ok) return result;
        results = result.value.results;
      }
      let next = 0;
      return {
        ok: true,
        value: chunkItems.map((relationship): FederationRelationshipResult => {
          if (relationship.bundleError !== undefined) {
            return {
              ok: false,
              code: Code.InvalidArgument,
              message: `invalid trust domain bundle: ${relationship.bundleError}`,
            };
          }
          const item = results[next++];
          if (!item || statusCode(item.status) !== OK) return itemError(item?.status);
          const written = item.federationRelationship
            ? federationRelationshipFromProto(item.federationRelationship)
            : fail("no federation relationship");
          return written.ok
            ? { ok: true, relationship: written.value }
            : {
                ok: false,
                code: Code.Internal,
                message: `SPIRE's ${method} result cannot be read: ${written.error}`,
              };
        }),
      } as const;
    });
  }

  return {
    async listFederationRelationships() {
      const all: FederationRelationship[] = [];
      let pageToken = "";
      do {
        const page = await call("ListFederationRelationships", (o) =>
          trustDomains.listFederationRelationships({ pageSize, pageToken }, o),
        );
        if (!page.ok) return page;
        for (const message of page.value.federationRelationships) {
          const relationship = federationRelationshipFromProto(message);
          if (!relationship.ok) {
            return {
              ok: false,
              error: new SpireError(
                `SPIRE ListFederationRelationships at ${transport.target} answered a relationship with trust domain "${message.trustDomain}" that cannot be read: ${relationship.error}`,
                "rejected",
                Code.Internal,
                "ListFederationRelationships",
              ),
            };
          }
          all.push(relationship.value);
        }
        pageToken = page.value.nextPageToken;
      } while (pageToken !== "");
      return { ok: true, value: all };
    },

    createFederationRelationships(relationships) {
      return write("BatchCreateFederationRelationship", relationships, batchSizes.create, (messages, o) =>
        trustDomains.batchCreateFederationRelationship({ federationRelationships: messages }, o),
      );
    },

    updateFederationRelationships(relationships) {
      // No input mask: SPIRE writes the URL and the profile, and the bundle when one is sent.
      return write("BatchUpdateFederationRelationship", relationships, batchSizes.update, (messages, o) =>
        trustDomains.batchUpdateFederationRelationship({ federationRelationships: messages }, o),
      );
    },

    deleteFederationRelationships(names) {
      return batched(names, batchSizes.delete, async (chunkNames) => {
        const result = await call("BatchDeleteFederationRelationship", (o) =>
          trustDomains.batchDeleteFederationRelationship({ trustDomains: chunkNames }, o),
        );
        if (!result.ok) return result;
        return {
          ok: true,
          value: chunkNames.map((trustDomain, i): DeleteFederationRelationshipResult => {
            const status = result.value.results[i]?.status;
            const code = statusCode(status);
            if (code === OK) return { ok: true, trustDomain, existed: true };
            if (code === Code.NotFound) return { ok: true, trustDomain, existed: false };
            return itemError(status);
          }),
        } as const;
      });
    },
  };
}
