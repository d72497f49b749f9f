/**
 * knative/overlays/cluster-spiffeid/cluster-spiffeid-validation.yaml against the function it deploys: the
 * webhook configuration sends what the app validates, where it serves it, and reaches the Deployment
 * through the Service the certificate names (the invariants every workload shares are checked in
 * knative-manifests.test.ts).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH,
  CLUSTER_SPIFFEID_VALIDATION_PATH,
} from "../../../functions/cluster-spiffeid-validation/app.js";
import { REPO, readYamlStream } from "./manifest-files.js";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}
interface Webhook {
  name: string;
  clientConfig: {
    caBundle?: string;
    service: { name: string; namespace: string; path: string; port: number };
  };
  admissionReviewVersions: string[];
  rules: {
    apiGroups: string[];
    apiVersions: string[];
    operations: string[];
    resources: string[];
    scope: string;
  }[];
  failurePolicy: string;
  sideEffects: string;
}

const manifests = readYamlStream(
  join(REPO, "knative/overlays/cluster-spiffeid/cluster-spiffeid-validation.yaml"),
) as Manifest[];
const only = (kind: string) => {
  const found = manifests.filter((m) => m.kind === kind);
  expect(found).toHaveLength(1);
  return found[0] as Manifest;
};

describe("cluster-spiffeid-validation.yaml", () => {
  it("registers SCM's two webhooks, by name, path and rules, at the function's paths", () => {
    const webhooks = only("ValidatingWebhookConfiguration").webhooks as Webhook[];
    const rule = (resources: string) => ({
      apiGroups: ["spire.spiffe.io"],
      apiVersions: ["v1alpha1"],
      operations: ["CREATE", "UPDATE"],
      resources: [resources],
      scope: "Cluster",
    });
    expect(webhooks.map((w) => [w.name, w.clientConfig.service.path, w.rules])).toEqual([
      ["vclusterspiffeid.kb.io", CLUSTER_SPIFFEID_VALIDATION_PATH, [rule("clusterspiffeids")]],
      [
        "vclusterfederatedtrustdomain.kb.io",
        CLUSTER_FEDERATED_TRUST_DOMAIN_VALIDATION_PATH,
        [rule("clusterfederatedtrustdomains")],
      ],
    ]);
    for (const webhook of webhooks) {
      expect(webhook).toMatchObject({ failurePolicy: "Fail", sideEffects: "None" });
      expect(webhook.admissionReviewVersions).toEqual(["v1", "v1beta1"]);
      expect(webhook.clientConfig.caBundle).toBeUndefined();
    }
  });

  it("leaves the caBundle to SPIRE's k8sbundle notifier, through its label", () => {
    expect(only("ValidatingWebhookConfiguration").metadata.labels?.["spiffe.io/webhook"]).toBe("true");
  });

  it("reaches the Deployment's https port through the Service the webhooks name", () => {
    const service = only("Service");
    const webhooks = only("ValidatingWebhookConfiguration").webhooks as Webhook[];
    for (const webhook of webhooks) {
      expect(webhook.clientConfig.service).toMatchObject({
        name: service.metadata.name,
        namespace: service.metadata.namespace,
        port: 443,
      });
    }
    const deployment = only("Deployment");
    const template = (
      deployment.spec as {
        template: {
          metadata: { labels: Record<string, string> };
          spec: { containers: { ports: { name: string; containerPort: number }[] }[] };
        };
      }
    ).template;
    const selector = (service.spec as { selector: Record<string, string> }).selector;
    expect(template.metadata.labels).toMatchObject(selector);
    expect((service.spec as { ports: unknown[] }).ports).toEqual([
      { name: "https", port: 443, targetPort: "https" },
    ]);
    // webhook_port's default
    expect(template.spec.containers[0]?.ports).toContainEqual({ name: "https", containerPort: 9443 });
  });

  it("is named apart from crd mode's SpiffeID webhook configuration", () => {
    expect(only("ValidatingWebhookConfiguration").metadata.name).not.toBe("k8s-workload-registrar");
  });
});
