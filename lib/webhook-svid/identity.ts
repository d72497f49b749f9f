/**
 * The identity of the `spiffeid-validation` webhook's serving certificate (reference §4.9): the
 * SPIFFE ID `spiffe://<td>/k8s-workload-registrar/<cluster>/webhook` as URI SAN, and the Service
 * name the API server dials, `<webhook_service_name>.<namespace>.svc`, as DNS SAN.
 */
import { joinPath } from "../spiffe/id.js";
import { fail, ok, type Result } from "../spiffe/result.js";

export interface WebhookSvidIdentity {
  readonly spiffeId: string;
  readonly dnsNames: readonly string[];
}

export interface WebhookSvidIdentityInput {
  readonly trustDomain: string;
  readonly cluster: string;
  readonly serviceName: string;
  readonly namespace: string;
}

/** The certificate's names, or why the configuration cannot produce a valid SPIFFE ID. */
export function webhookSvidIdentity(input: WebhookSvidIdentityInput): Result<WebhookSvidIdentity> {
  const spiffeId = joinPath(input.trustDomain, ["k8s-workload-registrar", input.cluster, "webhook"]);
  if (!spiffeId.ok)
    return fail(
      `cannot build the webhook SPIFFE ID from cluster ${JSON.stringify(input.cluster)}: ${spiffeId.error}`,
    );
  return ok({ spiffeId: spiffeId.value, dnsNames: [`${input.serviceName}.${input.namespace}.svc`] });
}
