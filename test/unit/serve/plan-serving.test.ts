import { describe, expect, it } from "vitest";
import { planServing } from "../../../bin/serve/plan-serving.js";
import type { Config } from "../../../lib/config/config.js";
import { parseConfig } from "../../../lib/config/parse-config.js";

function config(extra: string): Config {
  const result = parseConfig(
    `trust_domain = "example.org"\ncluster = "c"\nserver_socket_path = "/s"\n${extra}`,
    "t.conf",
  );
  if (!result.ok) throw new Error(result.error.join("\n"));
  return result.value.config;
}

describe("planServing", () => {
  it.each([
    ["webhook", 'mode = "webhook"', { http: ["resync"], tls: ["pod-admission"], watches: [] }],
    [
      "reconcile",
      'mode = "reconcile"',
      {
        http: ["k8s-events", "resync"],
        tls: [],
        watches: [{ resources: ["pods", "nodes"], to: "k8s-events" }],
      },
    ],
    [
      "reconcile with DNS names",
      'mode = "reconcile"\nadd_pod_dns_names = true',
      {
        http: ["k8s-events", "resync"],
        tls: [],
        watches: [{ resources: ["pods", "nodes", "endpointslices"], to: "k8s-events" }],
      },
    ],
    [
      "reconcile with DNS names from core/v1 Endpoints",
      'mode = "reconcile"\nadd_pod_dns_names = true\nendpoints_source = "endpoints"',
      {
        http: ["k8s-events", "resync"],
        tls: [],
        watches: [{ resources: ["pods", "nodes", "endpoints"], to: "k8s-events" }],
      },
    ],
    [
      "crd with the webhook",
      'mode = "crd"\nwebhook_enabled = true',
      {
        http: ["k8s-events", "spiffeid-events", "resync"],
        tls: ["spiffeid-validation"],
        watches: [
          { resources: ["pods", "nodes", "endpointslices"], to: "k8s-events" },
          { resources: ["spiffeids"], to: "spiffeid-events" },
        ],
      },
    ],
    [
      "crd with DNS names from core/v1 Endpoints",
      'mode = "crd"\nendpoints_source = "endpoints"',
      {
        http: ["k8s-events", "spiffeid-events", "resync"],
        tls: [],
        watches: [
          { resources: ["pods", "nodes", "endpoints"], to: "k8s-events" },
          { resources: ["spiffeids"], to: "spiffeid-events" },
        ],
      },
    ],
    [
      "crd without pod controller or service names",
      'mode = "crd"\npod_controller = false\nadd_svc_dns_name = false',
      {
        http: ["k8s-events", "spiffeid-events", "resync"],
        tls: [],
        watches: [{ resources: ["spiffeids"], to: "spiffeid-events" }],
      },
    ],
  ])("%s", (_name, keys, expected) => {
    expect(planServing(config(keys))).toEqual(expected);
  });
});
