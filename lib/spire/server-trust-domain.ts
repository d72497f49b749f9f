/**
 * Whether the SPIRE server the registrar reaches serves the configured `trust_domain`. Over the
 * admin socket nothing else would notice a mismatch: the server accepts entries of any trust
 * domain's shape, and the workloads get SVIDs nobody trusts. The server's own bundle names its
 * trust domain (Bundle API GetBundle), so one cheap call answers it.
 */
import { Code } from "@connectrpc/connect";
import type { SpireClient, SpireResult } from "./client.js";
import { SpireError } from "./errors.js";

/** Ok when the server's trust domain is `trustDomain`; otherwise the failed call or a mismatch. */
export async function checkServerTrustDomain(
  spire: Pick<SpireClient, "getBundle">,
  trustDomain: string,
): Promise<SpireResult<void>> {
  const bundle = await spire.getBundle();
  if (!bundle.ok) return bundle;
  const served = bundle.value.trustDomain;
  if (served === trustDomain) return { ok: true, value: undefined };
  return {
    ok: false,
    error: new SpireError(
      `SPIRE server serves trust domain "${served}", but trust_domain is "${trustDomain}": check trust_domain and the server address or socket`,
      "trust-domain-mismatch",
      Code.FailedPrecondition,
      "GetBundle",
    ),
  };
}
