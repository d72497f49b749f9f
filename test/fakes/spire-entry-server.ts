/**
 * An in-memory SPIRE server (Entry, Bundle and TrustDomain services, and the SVID service's
 * MintX509SVID when given a minter) served with connect over HTTP/2 on a Unix socket in a temp dir, for component
 * tests. Counts RPCs and batch sizes per method, keeps every request it received (so a test can
 * count the calls of a method with a given filter), tracks the most concurrent calls, and injects
 * faults (unavailable, slow, fail the Nth call, lose a response).
 */
import { mkdtempSync, rmSync } from "node:fs";
import * as http2 from "node:http2";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { ConnectRouter } from "@connectrpc/connect";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { spiffeIdToProto } from "../../lib/spire/convert.js";
import type { GetBundleRequest } from "../../proto/gen/spire/api/server/bundle/v1/bundle_pb.js";
import { Bundle as BundleService } from "../../proto/gen/spire/api/server/bundle/v1/bundle_pb.js";
import type {
  BatchCreateEntryRequest,
  BatchDeleteEntryRequest,
  BatchUpdateEntryRequest,
  CountEntriesRequest,
  GetEntryRequest,
  ListEntriesRequest,
} from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import { Entry as EntryService } from "../../proto/gen/spire/api/server/entry/v1/entry_pb.js";
import type { MintX509SVIDRequest } from "../../proto/gen/spire/api/server/svid/v1/svid_pb.js";
import { SVID as SvidService } from "../../proto/gen/spire/api/server/svid/v1/svid_pb.js";
import type {
  BatchCreateFederationRelationshipRequest,
  BatchDeleteFederationRelationshipRequest,
  BatchUpdateFederationRelationshipRequest,
  GetFederationRelationshipRequest,
  ListFederationRelationshipsRequest,
  RefreshBundleRequest,
} from "../../proto/gen/spire/api/server/trustdomain/v1/trustdomain_pb.js";
import { TrustDomain as TrustDomainService } from "../../proto/gen/spire/api/server/trustdomain/v1/trustdomain_pb.js";
import { BundleSchema, X509CertificateSchema } from "../../proto/gen/spire/api/types/bundle_pb.js";
import type { Entry as EntryMessage } from "../../proto/gen/spire/api/types/entry_pb.js";
import type { EntryStoreOptions } from "./spire-entry-store.js";
import { EntryStore, StoreRpcError } from "./spire-entry-store.js";
import { FederationStore } from "./spire-federation-store.js";
import type { SvidMinter } from "./spire-svid-ca.js";

/** The request message of each method the fake serves. */
export interface FakeSpireRequests {
  CountEntries: CountEntriesRequest;
  ListEntries: ListEntriesRequest;
  GetEntry: GetEntryRequest;
  BatchCreateEntry: BatchCreateEntryRequest;
  BatchUpdateEntry: BatchUpdateEntryRequest;
  BatchDeleteEntry: BatchDeleteEntryRequest;
  GetBundle: GetBundleRequest;
  MintX509SVID: MintX509SVIDRequest;
  ListFederationRelationships: ListFederationRelationshipsRequest;
  GetFederationRelationship: GetFederationRelationshipRequest;
  BatchCreateFederationRelationship: BatchCreateFederationRelationshipRequest;
  BatchUpdateFederationRelationship: BatchUpdateFederationRelationshipRequest;
  BatchDeleteFederationRelationship: BatchDeleteFederationRelationshipRequest;
  RefreshBundle: RefreshBundleRequest;
}

export type FakeSpireMethod = keyof FakeSpireRequests;

/** A fault for matching calls. Without `onCall` it applies to the next `times` matching calls. */
export interface Fault {
  /** Only this method (default: any). */
  readonly method?: FakeSpireMethod;
  /** Fail with this code (omit for a pure delay). */
  readonly code?: Code;
  /** Wait this long before answering (a "slow server"; the client's deadline may fire first). */
  readonly delayMs?: number;
  /** Apply the request first, then fail: the client never sees the response (a lost reply). */
  readonly afterApplying?: boolean;
  /** Apply only to the Nth call (1-based) of `method` counted since the server started. */
  readonly onCall?: number;
  /** How many matching calls it affects (default 1). */
  readonly times?: number;
}

export interface FakeSpireServerOptions extends Partial<EntryStoreOptions> {
  /** DER CA certificates GetBundle returns (default none). */
  readonly x509Authorities?: readonly Uint8Array[];
  /** Signs MintX509SVID requests (see spire-svid-ca.ts); without one the RPC is Unimplemented. */
  readonly svidMinter?: SvidMinter;
}

export interface FakeSpireServer {
  readonly socketPath: string;
  readonly trustDomain: string;
  readonly store: EntryStore;
  /**
   * The federation relationships and foreign bundles; a bundle stored there (by a relationship or
   * `setBundle`) lets entries federate with its trust domain, as in SPIRE.
   */
  readonly federation: FederationStore;
  /** RPCs received per method, faulted ones included. */
  readonly rpcCounts: Readonly<Record<string, number>>;
  /**
   * The requests of `method` received so far, in arrival order, faulted ones included (so their
   * number is `rpcCounts[method]`). E.g. the ListEntries calls with a given parent ID filter:
   * `requests("ListEntries").filter((r) => r.filter?.byParentId?.path === "/node")`.
   */
  requests<M extends FakeSpireMethod>(method: M): readonly FakeSpireRequests[M][];
  /** Items per Batch* request, in arrival order. */
  readonly batchSizes: Readonly<Record<string, readonly number[]>>;
  /** The most RPCs that were in progress at the same time. */
  readonly maxInFlight: number;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /** Seeds entries directly (bypasses RPC counting); returns the create results. */
  seed(entries: readonly EntryMessage[]): void;
  stop(): Promise<void>;
}

interface ActiveFault extends Fault {
  remaining: number;
}

/** Starts the fake on a fresh socket; always `stop()` it (sessions are closed so close() cannot hang). */
export async function startFakeSpireServer(options: FakeSpireServerOptions = {}): Promise<FakeSpireServer> {
  const trustDomain = options.trustDomain ?? "example.org";
  const store = new EntryStore({ ...options, trustDomain });
  const federation = new FederationStore({
    trustDomain,
    onBundle: (federated) => store.addFederatedTrustDomain(federated),
  });
  const dir = mkdtempSync(join(tmpdir(), "fake-spire-"));
  const socketPath = join(dir, "api.sock");
  const rpcCounts: Record<string, number> = {};
  /** Requests by method; `serve` files each under its own method, so `requests` may cast. */
  const received = new Map<FakeSpireMethod, unknown[]>();
  const batchSizes: Record<string, number[]> = {};
  let faults: ActiveFault[] = [];
  let inFlight = 0;
  let maxInFlight = 0;

  /**
   * Counts and keeps the call, applies matching faults around `handle`, and maps store errors to gRPC
   * errors.
   */
  async function serve<M extends FakeSpireMethod, T>(
    method: M,
    request: FakeSpireRequests[M],
    handle: () => T | Promise<T>,
    batchSize?: number,
  ): Promise<T> {
    const callNumber = (rpcCounts[method] ?? 0) + 1;
    rpcCounts[method] = callNumber;
    const requests = received.get(method) ?? [];
    requests.push(request);
    received.set(method, requests);
    if (batchSize !== undefined) batchSizes[method] = [...(batchSizes[method] ?? []), batchSize];
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      const fault = faults.find(
        (f) =>
          f.remaining > 0 &&
          (f.method === undefined || f.method === method) &&
          (f.onCall === undefined || f.onCall === callNumber),
      );
      if (fault) fault.remaining--;
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      if (fault?.code !== undefined && !fault.afterApplying)
        throw new ConnectError(`injected fault in ${method}`, fault.code);
      const result = await handle();
      if (fault?.code !== undefined)
        throw new ConnectError(`injected fault after applying ${method}`, fault.code);
      return result;
    } catch (error) {
      if (error instanceof StoreRpcError) throw new ConnectError(error.message, error.code);
      throw error;
    } finally {
      inFlight--;
    }
  }

  const routes = (router: ConnectRouter) => {
    router.service(EntryService, {
      countEntries: (req) => serve("CountEntries", req, () => ({ count: store.count(req.filter) })),
      listEntries: (req) =>
        serve("ListEntries", req, () => store.list(req.filter, req.pageSize, req.pageToken, req.outputMask)),
      getEntry: (req) => serve("GetEntry", req, () => store.get(req.id, req.outputMask)),
      batchCreateEntry: (req) =>
        serve(
          "BatchCreateEntry",
          req,
          () => ({ results: req.entries.map((e) => store.create(e, req.outputMask)) }),
          req.entries.length,
        ),
      batchUpdateEntry: (req) =>
        serve(
          "BatchUpdateEntry",
          req,
          () => ({ results: req.entries.map((e) => store.update(e, req.inputMask, req.outputMask)) }),
          req.entries.length,
        ),
      batchDeleteEntry: (req) =>
        serve(
          "BatchDeleteEntry",
          req,
          () => ({ results: req.ids.map((id) => store.delete(id)) }),
          req.ids.length,
        ),
    });
    router.service(BundleService, {
      getBundle: (req) =>
        serve("GetBundle", req, () =>
          create(BundleSchema, {
            trustDomain,
            x509Authorities: (options.x509Authorities ?? []).map((asn1) =>
              create(X509CertificateSchema, { asn1 }),
            ),
          }),
        ),
    });
    router.service(TrustDomainService, {
      listFederationRelationships: (req) =>
        serve("ListFederationRelationships", req, () =>
          federation.list(req.pageSize, req.pageToken, req.outputMask),
        ),
      getFederationRelationship: (req) =>
        serve("GetFederationRelationship", req, () => federation.get(req.trustDomain, req.outputMask)),
      batchCreateFederationRelationship: (req) =>
        serve(
          "BatchCreateFederationRelationship",
          req,
          () => ({ results: req.federationRelationships.map((r) => federation.create(r, req.outputMask)) }),
          req.federationRelationships.length,
        ),
      batchUpdateFederationRelationship: (req) =>
        serve(
          "BatchUpdateFederationRelationship",
          req,
          () => ({
            results: req.federationRelationships.map((r) =>
              federation.update(r, req.inputMask, req.outputMask),
            ),
          }),
          req.federationRelationships.length,
        ),
      batchDeleteFederationRelationship: (req) =>
        serve(
          "BatchDeleteFederationRelationship",
          req,
          () => ({ results: req.trustDomains.map((td) => federation.delete(td)) }),
          req.trustDomains.length,
        ),
      refreshBundle: (req) =>
        serve("RefreshBundle", req, () => {
          federation.refreshBundle(req.trustDomain);
          return {};
        }),
    });
    router.service(SvidService, {
      mintX509SVID: (req) =>
        serve("MintX509SVID", req, async () => {
          if (!options.svidMinter) throw new ConnectError("the fake has no SVID minter", Code.Unimplemented);
          const svid = await options.svidMinter.mint(req.csr, req.ttl);
          return {
            svid: {
              certChain: [...svid.certChain],
              id: spiffeIdToProto(svid.spiffeId),
              expiresAt: svid.expiresAt,
            },
          };
        }),
    });
  };

  const server = http2.createServer(
    connectNodeAdapter({ routes, grpc: true, connect: false, grpcWeb: false }),
  );
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });

  return {
    socketPath,
    trustDomain,
    store,
    federation,
    rpcCounts,
    requests: <M extends FakeSpireMethod>(method: M) =>
      (received.get(method) ?? []) as FakeSpireRequests[M][],
    batchSizes,
    get maxInFlight() {
      return maxInFlight;
    },
    injectFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1 });
    },
    clearFaults() {
      faults = [];
    },
    seed(entries) {
      for (const entry of entries) {
        const result = store.create(entry, undefined);
        if (result.status?.code !== 0) throw new Error(`seed entry rejected: ${result.status?.message}`);
      }
    },
    async stop() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
