/** The full pass's decisions without I/O, shared by the resync and `registrar plan`. */
import { describe, expect, it } from "vitest";
import { type ClusterState, ZERO_STATS } from "../../../lib/scm/index.js";
import {
  acceptedOutcome,
  decideEntriesPass,
  entriesPassEnabled,
  federationPassEnabled,
  statusesAfterApply,
} from "../../../lib/scm-sync/plan-pass.js";
import { scmSettings } from "../../fakes/scm-context.js";

const TD = "example.org";
const PARENT = `spiffe://${TD}/spire/agent/k8s_psat/demo/node-uid`;

const settings = (extra = "") => scmSettings(TD, "demo", extra);

const STATE: ClusterState = {
  clusterSpiffeIds: [
    {
      metadata: { name: "web", uid: "csid-1", creationTimestamp: "2026-01-01T00:00:00Z" },
      spec: {
        spiffeIDTemplate: "spiffe://{{ .TrustDomain }}/ns/{{ .PodMeta.Namespace }}/{{ .PodMeta.Name }}",
        autoPopulateDNSNames: true,
      },
      status: { stats: { namespacesSelected: 1, podsSelected: 1, entriesToSet: 1 } },
    },
  ],
  clusterStaticEntries: [
    {
      metadata: { name: "db", uid: "cse-1" },
      spec: {
        spiffeID: `spiffe://${TD}/db`,
        parentID: `spiffe://${TD}/spire/server`,
        selectors: ["unix:uid:1"],
      },
      status: { rendered: true, masked: false, set: true },
    },
  ],
  namespaces: [{ metadata: { name: "apps" } }],
  nodes: [{ metadata: { name: "n1", uid: "node-uid" } }],
  pods: [
    { metadata: { name: "web-1", namespace: "apps", uid: "u1" }, spec: { nodeName: "n1" } },
    { metadata: { name: "web-2", namespace: "apps", uid: "u2" }, spec: { nodeName: "n1" } },
  ],
  servicesByPodUid: new Map([["u1", [{ name: "web", namespace: "apps" }]]]),
};

const OPTIONS = {
  clusterDomain: "cluster.local",
  unsupportedFields: new Set<never>(),
  newUuid: () => "uuid-1",
};

describe("decideEntriesPass", () => {
  it("declares with the pass's cluster domain and plans against every entry with the config's prefix", () => {
    const existing = {
      id: "reg.x",
      spiffeId: `spiffe://${TD}/ns/apps/web-1`,
      parentId: PARENT,
      selectors: [{ type: "k8s", value: "pod-uid:u1" }],
      dnsNames: ["web.apps.svc.cluster.local"],
      federatesWith: [],
      admin: false,
      downstream: false,
    };
    const foreign = { ...existing, id: "other", spiffeId: `spiffe://${TD}/foreign` };
    const { declaration, plan } = decideEntriesPass(
      STATE,
      [existing, foreign],
      settings("entryIDPrefix: reg"),
      OPTIONS,
    );
    expect(declaration.entries).toHaveLength(3);
    expect(plan.delete).toEqual([]);
    expect(plan.update.map((item) => [item.entry.id, item.outdated])).toEqual([["reg.x", ["dnsNames"]]]);
    expect(plan.update[0]?.entry.dnsNames).toEqual([
      "web",
      "web.apps",
      "web.apps.svc",
      "web.apps.svc.cluster.local",
    ]);
    expect(plan.create.map((item) => [item.entry.id, item.entry.spiffeId]).sort()).toEqual([
      ["reg.uuid-1", `spiffe://${TD}/db`],
      ["reg.uuid-1", `spiffe://${TD}/ns/apps/web-2`],
    ]);
  });

  it("runs a pass only for what the config reconciles", () => {
    expect([entriesPassEnabled(settings()), federationPassEnabled(settings())]).toEqual([true, true]);
    const off = settings("reconcile:\n  clusterSPIFFEIDs: false");
    expect([entriesPassEnabled(off), federationPassEnabled(off)]).toEqual([false, false]);
    // A `reconcile` block turns off what it does not name, as in SCM.
    const staticOnly = settings("reconcile:\n  clusterStaticEntries: true");
    expect([entriesPassEnabled(staticOnly), federationPassEnabled(staticOnly)]).toEqual([true, false]);
  });
});

describe("statusesAfterApply", () => {
  const { declaration, plan } = decideEntriesPass(STATE, [], settings(), OPTIONS);

  it("gives every CR its status and whether it differs from the stored one", () => {
    expect(statusesAfterApply(declaration, STATE, acceptedOutcome(plan))).toStrictEqual([
      {
        resource: "clusterspiffeids",
        name: "web",
        uid: "csid-1",
        status: { stats: { ...ZERO_STATS, namespacesSelected: 1, podsSelected: 2, entriesToSet: 2 } },
        changed: true,
      },
      {
        resource: "clusterstaticentries",
        name: "db",
        uid: "cse-1",
        status: { rendered: true, masked: false, set: true },
        changed: false,
      },
    ]);
  });

  it("counts SPIRE's refusals in entryFailures and sets `set` only for a created static entry", () => {
    const statuses = statusesAfterApply(declaration, STATE, {
      entryFailures: new Map([["csid-1", 1]]),
      created: new Set(),
    });
    expect(statuses.map((item) => [item.status, item.changed])).toEqual([
      [
        {
          stats: { ...ZERO_STATS, namespacesSelected: 1, podsSelected: 2, entriesToSet: 2, entryFailures: 1 },
        },
        true,
      ],
      [{ rendered: true, masked: false, set: false }, true],
    ]);
  });

  it("assumes, for a plan, that SPIRE accepts every write", () => {
    expect(acceptedOutcome(plan)).toStrictEqual({
      entryFailures: new Map(),
      created: new Set(["cse-1", "csid-1"]),
    });
  });
});
