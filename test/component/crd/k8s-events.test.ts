import { Code } from "@connectrpc/connect";
import { afterEach, describe, expect, it } from "vitest";
import { KubeApiError } from "../../../lib/k8s/errors.js";
import type { Pod } from "../../../lib/planner/k8s-objects.js";
import { endpointSlice, sliceEndpoint } from "../../unit/planner/fixtures.js";
import {
  type CrdRig,
  crdConfig,
  manualSpiffeId,
  NODE_ROOT,
  podObject,
  REGISTRAR_NS,
  refEvent,
  startCrdRig,
  TD,
} from "./harness.js";

function pod(
  name: string,
  options: { uid?: string; node?: string; namespace?: string } & Partial<
    Parameters<typeof podObject>[0]
  > = {},
): Pod {
  const base = podObject({ name, node: options.node ?? "n1", ...options });
  return { ...base, metadata: { ...base.metadata, uid: options.uid ?? `uid-${name}` } };
}

describe("k8s-events (crd mode)", () => {
  let rig: CrdRig;
  afterEach(() => rig.stop());
  const event = (action: "add" | "update" | "delete", kind: string, name: string, namespace?: string) =>
    rig.k8sEvents.request(refEvent(action, kind, name, namespace));

  it("creates a pod's SpiffeID as the Go registrar did (v1.5.6 templates), then its entry", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("web-1", { serviceAccount: "web" }));
    expect((await event("add", "Pod", "web-1", "default")).status).toBe(204);
    const created = rig.spiffeId("default", "web-1");
    expect(created).toMatchObject({
      metadata: {
        labels: { podUid: "uid-web-1" },
        ownerReferences: [
          {
            apiVersion: "v1",
            kind: "Pod",
            name: "web-1",
            uid: "uid-web-1",
            controller: true,
            blockOwnerDeletion: false,
          },
        ],
      },
      spec: {
        spiffeId: `spiffe://${TD}/ns/default/sa/web`,
        parentId: `${NODE_ROOT}/n1`,
        selector: { podUid: "uid-web-1", namespace: "default", nodeName: "n1" },
        dnsNames: ["web-1"],
      },
    });
    await rig.deliverSpiffeIdEvents();
    expect(await rig.entries()).toMatchObject([
      {
        spiffeId: `spiffe://${TD}/ns/default/sa/web`,
        parentId: `${NODE_ROOT}/n1`,
        dnsNames: ["web-1"],
      },
    ]);
    const [entry] = await rig.entries();
    expect(new Set(entry?.selectors.map((s) => `${s.type}:${s.value}`))).toEqual(
      new Set(["k8s:pod-uid:uid-web-1", "k8s:ns:default", "k8s:node-name:n1"]),
    );
  });

  it("keeps every derived field up to date (label, federation annotation), not only the SPIFFE ID", async () => {
    rig = await startCrdRig(crdConfig({ podLabel: "spiffe" }), { federatedTrustDomains: ["partner.org"] });
    rig.cluster.putPod(pod("web-1", { labels: { spiffe: "test-label" } }));
    await event("add", "Pod", "web-1", "default");
    await rig.deliverSpiffeIdEvents();
    rig.cluster.putPod(
      pod("web-1", {
        labels: { spiffe: "new-test-label" },
        annotations: { "spiffe.io/federatesWith": "partner.org" },
      }),
    );
    await event("update", "Pod", "web-1", "default");
    expect(rig.spiffeId("default", "web-1")?.spec).toMatchObject({
      spiffeId: `spiffe://${TD}/new-test-label`,
      federatesWith: ["partner.org"],
    });
    await rig.deliverSpiffeIdEvents();
    expect(await rig.entries()).toMatchObject([
      { spiffeId: `spiffe://${TD}/new-test-label`, federatesWith: ["partner.org"] },
    ]);
    expect(rig.store.all()).toHaveLength(1);
  });

  it("changes nothing when a pod event is replayed", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("web-1"));
    await event("add", "Pod", "web-1", "default");
    await rig.deliverSpiffeIdEvents();
    const before = {
      spiffeIds: rig.store.all(),
      entries: await rig.entries(),
      writes: { ...rig.store.writes },
    };
    for (const action of ["add", "update", "delete"] as const) await event(action, "Pod", "web-1", "default");
    expect(rig.store.all()).toEqual(before.spiffeIds);
    expect(rig.store.writes).toEqual(before.writes);
    expect(await rig.entries()).toEqual(before.entries);
  });

  it("deletes the SpiffeID and its entry when the pod is gone or terminal (no garbage collector)", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("a"));
    rig.cluster.putPod(pod("b"));
    await event("add", "Pod", "a", "default");
    await event("add", "Pod", "b", "default");
    await rig.deliverSpiffeIdEvents();
    expect(await rig.entries()).toHaveLength(2);
    rig.cluster.pods.delete("default/a");
    rig.cluster.putPod(pod("b", { phase: "Succeeded" }));
    expect((await event("delete", "Pod", "a", "default")).status).toBe(204);
    expect((await event("update", "Pod", "b", "default")).status).toBe(204);
    expect(rig.store.all()).toEqual([]);
    expect(await rig.entries()).toEqual([]);
  });

  it("converges when a StatefulSet pod is recreated with the same name (new UID)", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("db-0", { uid: "uid-old" }));
    await event("add", "Pod", "db-0", "default");
    await rig.deliverSpiffeIdEvents();
    rig.cluster.putPod(pod("db-0", { uid: "uid-new", node: "n2" }));
    expect((await event("add", "Pod", "db-0", "default")).status).toBe(204);
    const replaced = rig.spiffeId("default", "db-0");
    expect(replaced?.metadata.ownerReferences?.[0]?.uid).toBe("uid-new");
    expect(replaced?.spec.selector.podUid).toBe("uid-new");
    await rig.deliverSpiffeIdEvents();
    const entries = await rig.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.parentId).toBe(`${NODE_ROOT}/n2`);
    expect(entries[0]?.selectors).toContainEqual({ type: "k8s", value: "pod-uid:uid-new" });
  });

  it("answers 503 while SPIRE cannot delete a recreated pod's old entry, then converges on redelivery", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("db-0", { uid: "uid-old" }));
    await event("add", "Pod", "db-0", "default");
    await rig.deliverSpiffeIdEvents();
    rig.cluster.putPod(pod("db-0", { uid: "uid-new" }));
    rig.spireServer.injectFault({ method: "BatchDeleteEntry", code: Code.Unavailable, times: 10 });
    expect((await event("add", "Pod", "db-0", "default")).status).toBe(503);
    const held = rig.spiffeId("default", "db-0");
    expect(held?.metadata.deletionTimestamp).toBeDefined();
    expect(held?.metadata.ownerReferences?.[0]?.uid).toBe("uid-old");
    rig.spireServer.clearFaults();
    expect((await event("add", "Pod", "db-0", "default")).status).toBe(204);
    expect(rig.spiffeId("default", "db-0")?.metadata.ownerReferences?.[0]?.uid).toBe("uid-new");
    await rig.deliverSpiffeIdEvents();
    const entries = await rig.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.selectors).toContainEqual({ type: "k8s", value: "pod-uid:uid-new" });
  });

  it("answers 503 when the API server is unavailable", async () => {
    rig = await startCrdRig();
    rig.cluster.failWith = new KubeApiError("API server unavailable: cannot get pods", "unavailable", 503);
    expect((await event("add", "Pod", "web-1", "default")).status).toBe(503);
  });

  it("recreates a pod's SpiffeID someone deleted while the pod runs", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("web-1"));
    await event("add", "Pod", "web-1", "default");
    await rig.deliverSpiffeIdEvents();
    await rig.store.delete("default", "web-1");
    expect((await event("update", "Pod", "web-1", "default")).status).toBe(204);
    expect(rig.spiffeId("default", "web-1")?.metadata.deletionTimestamp).toBeUndefined();
    await rig.deliverSpiffeIdEvents();
    expect(await rig.entries()).toHaveLength(1);
  });

  it("keeps a terminating pod's SpiffeID, but does not bring one back once deleted (the garbage collector's)", async () => {
    rig = await startCrdRig();
    rig.cluster.putPod(pod("web-1"));
    await event("add", "Pod", "web-1", "default");
    await rig.deliverSpiffeIdEvents();
    const terminating = pod("web-1", { labels: { app: "web" } });
    rig.cluster.putPod({
      ...terminating,
      metadata: { ...terminating.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
    });
    expect((await event("update", "Pod", "web-1", "default")).status).toBe(204);
    expect(rig.spiffeId("default", "web-1")?.metadata.deletionTimestamp).toBeUndefined();
    expect(await rig.entries()).toHaveLength(1);

    // The pod's last update is read while it still terminates, its SpiffeID after the collector deleted it.
    await rig.store.delete("default", "web-1");
    expect((await event("update", "Pod", "web-1", "default")).status).toBe(204);
    expect(rig.spiffeId("default", "web-1")).toBeUndefined();
    await rig.deliverSpiffeIdEvents();
    expect(rig.store.all()).toEqual([]);
    expect(await rig.entries()).toEqual([]);
    // A resync in that state agrees.
    expect((await rig.runResync()).body).toMatchObject({
      status: "done",
      spiffeIdsCreated: 0,
      entriesCreated: 0,
    });
    expect(rig.store.all()).toEqual([]);
  });

  it("gives no SpiffeID to pods without a node, in disabled namespaces, or gated off by identity_template_label", async () => {
    rig = await startCrdRig(crdConfig({ identityTemplateLabel: "spiffe.io/spiffe-id" }));
    rig.cluster.putPod(pod("pending", { node: "" }));
    rig.cluster.putPod(
      pod("system", { namespace: "kube-system", labels: { "spiffe.io/spiffe-id": "true" } }),
    );
    rig.cluster.putPod(pod("off", { labels: { "spiffe.io/spiffe-id": "false" } }));
    rig.cluster.putPod(pod("on", { labels: { "spiffe.io/spiffe-id": "TRUE" } }));
    await event("add", "Pod", "pending", "default");
    await event("add", "Pod", "system", "kube-system");
    await event("add", "Pod", "off", "default");
    await event("add", "Pod", "on", "default");
    expect(rig.store.all().map((s) => s.metadata.name)).toEqual(["on"]);
  });

  it("never rewrites or deletes a manual SpiffeID that has a pod's name", async () => {
    rig = await startCrdRig();
    rig.store.seed(manualSpiffeId("web-1"));
    const before = rig.store.all();
    rig.cluster.putPod(pod("web-1"));
    expect((await event("add", "Pod", "web-1", "default")).status).toBe(204);
    rig.cluster.pods.delete("default/web-1");
    expect((await event("delete", "Pod", "web-1", "default")).status).toBe(204);
    expect(rig.store.all()).toEqual(before);
  });

  it("does nothing for pods and nodes without pod_controller", async () => {
    rig = await startCrdRig(crdConfig(), { podController: false });
    rig.cluster.putPod(pod("web-1"));
    rig.cluster.putNode({ metadata: { name: "n1", uid: "node-uid-1" } });
    expect((await event("add", "Pod", "web-1", "default")).status).toBe(204);
    expect((await event("add", "Node", "n1")).status).toBe(204);
    expect(rig.store.all()).toEqual([]);
  });

  describe("nodes", () => {
    it("keeps the node's SpiffeID in the registrar namespace, follows a UID change, deletes it when gone", async () => {
      rig = await startCrdRig();
      rig.cluster.putNode({ metadata: { name: "n1", uid: "node-uid-1" } });
      expect((await event("add", "Node", "n1")).status).toBe(204);
      expect(rig.spiffeId(REGISTRAR_NS, "n1")).toMatchObject({
        metadata: {
          labels: { nodeUid: "node-uid-1" },
          ownerReferences: [{ kind: "Node", uid: "node-uid-1" }],
        },
        spec: {
          parentId: `spiffe://${TD}/spire/server`,
          spiffeId: `${NODE_ROOT}/n1`,
          selector: { cluster: "c1", agent_node_uid: "node-uid-1" },
        },
      });
      await rig.deliverSpiffeIdEvents();
      const [nodeEntry] = await rig.entries();
      expect(nodeEntry?.spiffeId).toBe(`${NODE_ROOT}/n1`);
      expect(nodeEntry?.selectors).toHaveLength(2);
      expect(nodeEntry?.selectors).toContainEqual({ type: "k8s_psat", value: "cluster:c1" });
      expect(nodeEntry?.selectors).toContainEqual({ type: "k8s_psat", value: "agent_node_uid:node-uid-1" });

      rig.cluster.putNode({ metadata: { name: "n1", uid: "node-uid-2" } });
      await event("update", "Node", "n1");
      await rig.deliverSpiffeIdEvents();
      expect(rig.spiffeId(REGISTRAR_NS, "n1")?.spec.selector.agent_node_uid).toBe("node-uid-2");
      const entries = await rig.entries();
      expect(entries).toHaveLength(1);
      expect(entries[0]?.selectors).toContainEqual({ type: "k8s_psat", value: "agent_node_uid:node-uid-2" });

      rig.cluster.nodes.delete("n1");
      await event("delete", "Node", "n1");
      expect(rig.store.all()).toEqual([]);
      expect(await rig.entries()).toEqual([]);
    });

    it("lets a pod and a node with the same name in the registrar namespace coexist without fighting", async () => {
      rig = await startCrdRig();
      rig.cluster.putNode({ metadata: { name: "worker", uid: "node-uid" } });
      rig.cluster.putPod(pod("worker", { namespace: REGISTRAR_NS }));
      await event("add", "Node", "worker");
      await event("add", "Pod", "worker", REGISTRAR_NS);
      const before = { spiffeIds: rig.store.all(), writes: { ...rig.store.writes } };
      for (let i = 0; i < 3; i++) {
        expect((await event("update", "Pod", "worker", REGISTRAR_NS)).status).toBe(204);
        expect((await event("update", "Node", "worker")).status).toBe(204);
      }
      expect(rig.store.all()).toEqual(before.spiffeIds);
      expect(rig.store.writes).toEqual(before.writes);
      expect(rig.spiffeId(REGISTRAR_NS, "worker")?.metadata.ownerReferences?.[0]?.kind).toBe("Node");
    });
  });

  describe("endpoints (add_svc_dns_name)", () => {
    const endpoints = (name: string, ready: string[], notReady: string[] = []) => ({
      metadata: { name, namespace: "default" },
      subsets: [
        {
          addresses: ready.map((p) => ({
            ip: "10.0.0.1",
            targetRef: { kind: "Pod", name: p, uid: `uid-${p}` },
          })),
          notReadyAddresses: notReady.map((p) => ({
            ip: "10.0.0.2",
            targetRef: { kind: "Pod", name: p, uid: `uid-${p}` },
          })),
        },
      ],
    });

    it("adds <svc>.<ns>.svc after the pod name for ready pods, and removes it when the pod leaves or the Endpoints goes (endpoints_source = endpoints)", async () => {
      rig = await startCrdRig(crdConfig({ podLabel: "spiffe", endpointsSource: "endpoints" }));
      // The first address targets an unlabelled pod: Go stopped there (bugs 1 and 2 of §7).
      rig.cluster.putPod(pod("plain"));
      rig.cluster.putPod(pod("a", { labels: { spiffe: "a" } }));
      rig.cluster.putPod(pod("b", { labels: { spiffe: "b" } }));
      for (const name of ["plain", "a", "b"]) await event("add", "Pod", name, "default");
      rig.cluster.putEndpoints(endpoints("web", ["plain", "a", "b"]));
      rig.cluster.putEndpoints(endpoints("api", ["a"], ["b"]));
      expect((await event("add", "Endpoints", "web", "default")).status).toBe(204);
      expect((await event("add", "Endpoints", "api", "default")).status).toBe(204);
      expect(rig.spiffeId("default", "a")?.spec.dnsNames).toEqual([
        "a",
        "api.default.svc",
        "web.default.svc",
      ]);
      expect(rig.spiffeId("default", "b")?.spec.dnsNames).toEqual(["b", "web.default.svc"]);
      expect(rig.spiffeId("default", "plain")).toBeUndefined();

      rig.cluster.putEndpoints(endpoints("web", ["plain", "a"]));
      await event("update", "Endpoints", "web", "default");
      expect(rig.spiffeId("default", "b")?.spec.dnsNames).toEqual(["b"]);

      rig.cluster.endpoints.delete("default/api");
      await event("delete", "Endpoints", "api", "default");
      expect(rig.spiffeId("default", "a")?.spec.dnsNames).toEqual(["a", "web.default.svc"]);

      await rig.deliverSpiffeIdEvents();
      expect((await rig.entries()).map((e) => e.dnsNames)).toEqual([["a", "web.default.svc"], ["b"]]);
    });

    it("gives ready pods of all of a Service's EndpointSlices <svc>.<ns>.svc, and takes it away when a pod leaves or the Service goes", async () => {
      rig = await startCrdRig(crdConfig());
      for (const name of ["a", "b", "c"]) {
        rig.cluster.putPod(pod(name));
        await event("add", "Pod", name, "default");
      }
      const web = (a: boolean, b: boolean) => [
        endpointSlice("default", "web-abcde", "web", [
          sliceEndpoint("10.0.0.1", "default", "a", { ready: a }),
          sliceEndpoint("10.0.0.2", "default", "b", { ready: b }),
        ]),
        endpointSlice("default", "web-fghij", "web", [
          sliceEndpoint("10.0.0.3", "default", "c", { ready: false }),
        ]),
      ];
      for (const slice of web(true, true)) rig.cluster.putEndpointSlice(slice);
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "api-abcde", "api", [sliceEndpoint("10.0.0.1", "default", "a")]),
      );
      expect((await event("add", "EndpointSlice", "web-fghij", "default")).status).toBe(204);
      expect((await event("add", "EndpointSlice", "api-abcde", "default")).status).toBe(204);
      const names = () => ["a", "b", "c"].map((name) => rig.spiffeId("default", name)?.spec.dnsNames);
      expect(names()).toEqual([["a", "api.default.svc", "web.default.svc"], ["b", "web.default.svc"], ["c"]]);

      // b is no longer ready: Go's controller (and Endpoints' notReadyAddresses) never counted those.
      for (const slice of web(true, false)) rig.cluster.putEndpointSlice(slice);
      await event("update", "EndpointSlice", "web-abcde", "default");
      expect(names()).toEqual([["a", "api.default.svc", "web.default.svc"], ["b"], ["c"]]);

      // The Service is deleted: its slices go, and their delete events name only the slice.
      rig.cluster.endpointSlices.delete("default/web-abcde");
      rig.cluster.endpointSlices.delete("default/web-fghij");
      expect((await event("delete", "EndpointSlice", "web-abcde", "default")).status).toBe(204);
      expect(names()).toEqual([["a", "api.default.svc"], ["b"], ["c"]]);

      // A slice of no Service is acknowledged and changes nothing.
      rig.cluster.putEndpointSlice(
        endpointSlice("default", "by-hand", undefined, [sliceEndpoint("10.0.0.2", "default", "b")]),
      );
      const writes = { ...rig.store.writes };
      expect((await event("add", "EndpointSlice", "by-hand", "default")).status).toBe(204);
      expect(rig.store.writes).toEqual(writes);

      await rig.deliverSpiffeIdEvents();
      expect((await rig.entries()).map((e) => e.dnsNames)).toEqual([["a", "api.default.svc"], ["b"], ["c"]]);
    });

    it("never edits manual SpiffeIDs that carry a service name", async () => {
      rig = await startCrdRig();
      rig.store.seed(manualSpiffeId("manual", { dnsNames: ["web.default.svc"] }));
      const before = rig.store.all();
      await event("delete", "Endpoints", "web", "default");
      await event("delete", "EndpointSlice", "web-abcde", "default");
      expect(rig.store.all()).toEqual(before);
    });
  });
});
