import { describe, expect, it } from "vitest";
import {
  bootstrapEntries,
  entryCreateCommands,
  KNATIVE_SERVICE_ACCOUNTS,
} from "../../../lib/bootstrap/bootstrap-entries.js";
import type { Entry } from "../../../lib/planner/entry.js";
import { reconcileOwnership, webhookOwnership } from "../../../lib/planner/ownership.js";
import { isCrdShapedEntry } from "../../../lib/planner/spiffeid-stale-entries.js";

const config = { trustDomain: "example.org", cluster: "prod", controllerName: "spire-k8s-registrar" };

function entriesFor(serviceAccounts: readonly string[]) {
  const result = bootstrapEntries({ ...config, namespace: "spire", serviceAccounts });
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

describe("the registrar's own entries (bootstrap-entries)", () => {
  it("are one node alias for the cluster's agents and an admin entry per ServiceAccount", () => {
    const entries = entriesFor(["k8s-workload-registrar"]);
    expect(entryCreateCommands(entries, "spiffe://example.org/spire/server")).toEqual([
      "spire-server entry create -node -spiffeID spiffe://example.org/k8s-workload-registrar/prod/agents -selector k8s_psat:cluster:prod",
      "spire-server entry create -parentID spiffe://example.org/k8s-workload-registrar/prod/agents -admin -spiffeID spiffe://example.org/k8s-workload-registrar/prod/sa/k8s-workload-registrar -selector k8s:ns:spire -selector k8s:sa:k8s-workload-registrar",
    ]);
  });

  it("cover the Knative overlays' ServiceAccounts of each mode by default", () => {
    expect(KNATIVE_SERVICE_ACCOUNTS).toEqual({
      webhook: ["registrar-pod-admission", "registrar-resync"],
      reconcile: ["registrar-k8s-events", "registrar-resync"],
      crd: [
        "registrar-k8s-events",
        "registrar-spiffeid-events",
        "registrar-resync",
        "registrar-spiffeid-validation",
      ],
      "cluster-spiffeid": [
        "registrar-k8s-events",
        "registrar-resync",
        "registrar-cluster-spiffeid-validation",
      ],
    });
  });

  it("are owned by no mode, so no resync or cleanup ever deletes them", () => {
    const all = entriesFor(KNATIVE_SERVICE_ACCOUNTS.crd).map((spec, i): Entry => ({ ...spec, id: `e${i}` }));
    const owners = [reconcileOwnership(config), webhookOwnership(config), isCrdShapedEntry(config)];
    for (const entry of all) for (const owns of owners) expect(owns(entry), entry.spiffeId).toBe(false);
  });

  it.each([
    [{ serviceAccounts: ["Bad_Name"] }, '"Bad_Name" is not a Kubernetes name'],
    [{ namespace: "a/b" }, '"a/b" is not a Kubernetes name'],
    [{ serviceAccounts: [] }, "no ServiceAccount given"],
    [{ cluster: "a/b" }, 'cluster "a/b": '],
  ])("refuse %j", (change, message) => {
    const result = bootstrapEntries({ ...config, namespace: "spire", serviceAccounts: ["sa"], ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(message);
  });
});
