/** The federation pass's view of SPIRE's TrustDomain API client: per-item outcomes, or the failed RPC. */
import type { BatchResult, SpireResult } from "../spire/client.js";
import type { TrustDomainClient } from "../spire/trust-domain-client.js";
import type { FederationApi, RelationshipResult } from "./context.js";

export function federationApi(client: TrustDomainClient): FederationApi {
  return {
    list: () => client.listFederationRelationships(),
    create: async (relationships) => outcomes(await client.createFederationRelationships(relationships)),
    update: async (relationships) => outcomes(await client.updateFederationRelationships(relationships)),
    delete: async (trustDomains) => outcomes(await client.deleteFederationRelationships(trustDomains)),
  };
}

function outcomes<R extends { readonly ok: boolean; readonly message?: string }>(
  result: BatchResult<R>,
): SpireResult<RelationshipResult[]> {
  if (!result.ok) return { ok: false, error: result.error };
  return {
    ok: true,
    value: result.value.map((item) => (item.ok ? { ok: true } : { ok: false, message: item.message ?? "" })),
  };
}
